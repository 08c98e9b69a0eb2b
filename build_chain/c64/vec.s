;
; vec.s - elementwise vector steps of the forward pass: saturation of the s32 matrix outputs
; and the saturating residual add                                           [sat16, residual]
;
; sat16(v) clamps v to [-32767, 32767]: v fits when bytes 3 and 2 are the sign extension of
; byte 1 and v != -32768. The residual adds r = sat16(src) to x in 16 bits; a signed overflow
; (V) means the true sum is beyond the range on the side opposite to N, and $8000 (-32768)
; clamps to -32767 as well.
;
; C prototypes (maths.h):
;   void __fastcall__ vec_sat16(int16_t* dst, const int32_t* src, uint8_t n);    dst = sat16(src)
;   void __fastcall__ vec_residual(int16_t* x, const int32_t* src, uint8_t n);
;                                                               x = sat16(x + sat16(src))
;
; Contract:
;   both  in: n A (0 = nothing); src, dst/x on the C stack (4 bytes, popped)
;         out: dst/x[0..n)          clobbers: A X Y, ptr1 (src), ptr2 (dst), tmp1-tmp3
;
; Cycles: about 60 per element (sat16), 80 (residual).
;
        .include "zeropage.inc"         ; sp, ptr1, ptr2, tmp1-tmp3

        .export _vec_sat16, _vec_residual

        .segment "CODE"

; args: n A -> tmp1; src (sp+0) -> ptr1, dst (sp+2) -> ptr2; pop 4
args:   sta     tmp1                    ;
        ldy     #3                      ;
        lda     (sp),y                  ;
        sta     ptr2+1                  ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr2                    ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr1+1                  ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr1                    ;
        lda     sp                      ;
        clc                             ;
        adc     #4                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       rts                             ;

; sat: A = low, X = high byte of sat16(*ptr1); ptr1 += 4; clobbers Y
sat:    ldy     #3                      ; byte 3: the sign
        lda     (ptr1),y                ;
        bmi     @neg                    ;
        bne     @pmax                   ; >= 2^24
        dey                             ;
        lda     (ptr1),y                ;
        bne     @pmax                   ; >= 2^16
        dey                             ;
        lda     (ptr1),y                ;
        bmi     @pmax                   ; >= 2^15
        tax                             ;
        dey                             ;
        lda     (ptr1),y                ;
        jmp     @next                   ;
@pmax:  lda     #$FF                    ; 32767
        ldx     #$7F                    ;
        bne     @next                   ; (always)
@neg:   cmp     #$FF                    ;
        bne     @nmin                   ; < -2^24
        dey                             ;
        lda     (ptr1),y                ;
        cmp     #$FF                    ;
        bne     @nmin                   ; < -2^16
        dey                             ;
        lda     (ptr1),y                ;
        bpl     @nmin                   ; < -2^15
        tax                             ;
        dey                             ;
        lda     (ptr1),y                ;
        cpx     #$80                    ; -32768?
        bne     @next                   ;
        cmp     #0                      ;
        bne     @next                   ;
@nmin:  lda     #$01                    ; -32767
        ldx     #$80                    ;
@next:  pha                             ; ptr1 += 4
        lda     ptr1                    ;
        clc                             ;
        adc     #4                      ;
        sta     ptr1                    ;
        bcc     :+                      ;
        inc     ptr1+1                  ;
:       pla                             ;
        rts                             ;

; step: ptr2 += 2; tmp1 -= 1 (Z = done)
step:   lda     ptr2                    ;
        clc                             ;
        adc     #2                      ;
        sta     ptr2                    ;
        bcc     :+                      ;
        inc     ptr2+1                  ;
:       dec     tmp1                    ;
        rts                             ;

; ----------------------------------------------------------------------------

_vec_sat16:
        jsr     args                    ;
        lda     tmp1                    ; n = 0: nothing
        beq     @done                   ;
@el:    jsr     sat                     ; A/X = sat16(src)
        ldy     #0                      ; store
        sta     (ptr2),y                ;
        iny                             ;
        txa                             ;
        sta     (ptr2),y                ;
        jsr     step                    ;
        bne     @el                     ;
@done:  rts                             ;

_vec_residual:
        jsr     args                    ;
        lda     tmp1                    ;
        beq     @done                   ;
@el:    jsr     sat                     ; r = sat16(src)
        stx     tmp2                    ;
        ldy     #0                      ; x + r (16-bit)
        clc                             ;
        adc     (ptr2),y                ;
        sta     tmp3                    ;
        iny                             ;
        lda     (ptr2),y                ;
        adc     tmp2                    ;
        bvs     @ovf                    ;
        tax                             ; in 16 bits: only $8000 clamps
        cmp     #$80                    ;
        bne     @st                     ;
        lda     tmp3                    ;
        bne     @st                     ;
        lda     #$01                    ; -32767
        sta     tmp3                    ;
        bne     @st                     ; (always; X = $80)
@ovf:   bmi     @pos                    ; N set after overflow: the sum is positive
        lda     #$01                    ; -32767
        sta     tmp3                    ;
        ldx     #$80                    ;
        bne     @st                     ; (always)
@pos:   lda     #$FF                    ; 32767
        sta     tmp3                    ;
        ldx     #$7F                    ;
@st:    txa                             ; store x
        ldy     #1                      ;
        sta     (ptr2),y                ;
        dey                             ;
        lda     tmp3                    ;
        sta     (ptr2),y                ;
        jsr     step                    ;
        bne     @el                     ;
@done:  rts                             ;
