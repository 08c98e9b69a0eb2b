;
; vec.s - elementwise vector steps of the forward pass: saturation of the s32 matrix outputs
; and the saturating residual add, and the FFN gate                   [sat16, residual, silu]
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
;   void __fastcall__ vec_gate(int16_t* hb, const int16_t* h3, uint8_t n);
;                     hb = sat16((silu(hb) * h3 + 2^(F-1)) >> F), silu by table as the twin's
;   uint16_t __fastcall__ vec_argmax(const int32_t* v, uint16_t n);  first index of max v, n >= 1
;   extern const int16_t* gate_tab; extern uint8_t gate_frac;       SILU table, F = FRAC_H
;   extern int16_t gate_half, gate_last;                            (LEN-1)/2, LEN-1
;
; The gate, per element: u = (h >> (F-4)) + half; u < 0: s = 0; u >= last: s = h; else
; s = a + (((b-a) * frac + 2^(F-5)) >> (F-4)) with a, b = tab[u], tab[u+1], frac = the low
; F-4 bits of h. Both products are sign and magnitude by quarter squares (mul.s mset/mmul);
; a negative product P rounds as -((|P| + 2^(k-1) - 1) >> k) (= floor((P + 2^(k-1)) / 2^k)).
;
; Contract:
;   all   in: n A (0 = nothing); src (h3), dst (x, hb) on the C stack (4 bytes, popped)
;         out: dst[0..n)   clobbers: A X Y, ptr1 (src), ptr2 (dst), ptr3, tmp1-tmp3, mr0-mr7,
;         mul.s mp1-mp4 low bytes
;   gate: 5 <= F <= 12 (F-4 bits of frac fit a byte), 0 <= half, the table holds last+1 values
;   argmax in: n A/X (>= 1), v on the C stack (popped)   out: A/X = index   clobbers: A Y,
;         ptr1-ptr3, tmp1-tmp4, sreg
;
; Coupling: mul.s's tables (mul_init first). Cycles: about 60 per element (sat16), 80
; (residual), 600 (gate), 50 (argmax).
;
        .include "zeropage.inc"         ; sp, ptr1-ptr3, tmp1-tmp3

        .export _vec_sat16, _vec_residual, _vec_gate, _vec_argmax
        .export _gate_tab, _gate_frac, _gate_half, _gate_last
        .import mset, mmul
        .importzp mr0

        .segment "BSS"
_gate_tab:      .res 2                  ; -> SILU table (int16)
_gate_frac:     .res 1                  ; F
_gate_half:     .res 2                  ; (LEN-1)/2
_gate_last:     .res 2                  ; LEN-1
gstep:  .res    1                       ; F - 4
gmask:  .res    1                       ; 2^(F-4) - 1
gh:     .res    2                       ; h
gs:     .res    2                       ; silu(h), then |silu(h)|
ga:     .res    2                       ; a = tab[u]
gm:     .res    2                       ; |b - a|, then |h3|
gneg:   .res    1                       ; bit 7: the product is negative
gfb:    .res    1                       ; F >> 3

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

; ----------------------------------------------------------------------------
; vec_gate: ptr1 = h3, ptr2 = hb

_vec_gate:
        jsr     args                    ;
        lda     tmp1                    ;
        bne     :+                      ;
        rts                             ;
:       lda     _gate_frac              ; step = F - 4, mask, F >> 3
        sec                             ;
        sbc     #4                      ;
        sta     gstep                   ;
        tax                             ;
        lda     #0                      ;
:       sec                             ; mask = (1 << step) - 1
        rol                             ;
        dex                             ;
        bne     :-                      ;
        sta     gmask                   ;
        lda     _gate_frac              ;
        lsr                             ;
        lsr                             ;
        lsr                             ;
        sta     gfb                     ;
@el:    ldy     #0                      ; h
        lda     (ptr2),y                ;
        sta     gh                      ;
        sta     mr0                     ;
        iny                             ;
        lda     (ptr2),y                ;
        sta     gh+1                    ;
        ldx     gstep                   ; t = h >> step (arithmetic)
:       cmp     #$80                    ;
        ror                             ;
        ror     mr0                     ;
        dex                             ;
        bne     :-                      ;
        tax                             ; u = t + half
        clc                             ;
        lda     mr0                     ;
        adc     _gate_half              ;
        sta     mr0                     ;
        txa                             ;
        adc     _gate_half+1            ;
        sta     mr0+1                   ;
        bpl     :+                      ;
        lda     #0                      ; u < 0: s = 0
        sta     gs                      ;
        sta     gs+1                    ;
        jmp     @mul                    ;
:       lda     mr0                     ; u >= last: s = h
        cmp     _gate_last              ;
        lda     mr0+1                   ;
        sbc     _gate_last+1            ;
        bcc     @interp                 ;
        lda     gh                      ;
        sta     gs                      ;
        lda     gh+1                    ;
        sta     gs+1                    ;
        jmp     @mul                    ;
@interp:
        lda     mr0                     ; ptr3 -> tab[u]
        asl                             ;
        sta     ptr3                    ;
        lda     mr0+1                   ;
        rol                             ;
        sta     ptr3+1                  ;
        clc                             ;
        lda     ptr3                    ;
        adc     _gate_tab               ;
        sta     ptr3                    ;
        lda     ptr3+1                  ;
        adc     _gate_tab+1             ;
        sta     ptr3+1                  ;
        ldy     #0                      ; a
        lda     (ptr3),y                ;
        sta     ga                      ;
        iny                             ;
        lda     (ptr3),y                ;
        sta     ga+1                    ;
        iny                             ; b - a (17-bit sign: N xor V)
        sec                             ;
        lda     (ptr3),y                ;
        sbc     ga                      ;
        sta     gm                      ;
        iny                             ;
        lda     (ptr3),y                ;
        sbc     ga+1                    ;
        sta     gm+1                    ;
        bvc     :+                      ;
        eor     #$80                    ;
:       and     #$80                    ;
        sta     gneg                    ;
        beq     :+                      ;
        sec                             ; |b - a| (16 bits: |b - a| < 2^16)
        lda     #0                      ;
        sbc     gm                      ;
        sta     gm                      ;
        lda     #0                      ;
        sbc     gm+1                    ;
        sta     gm+1                    ;
:       lda     gh                      ; frac
        and     gmask                   ;
        jsr     mset                    ;
        ldy     gm                      ; P = |b - a| * frac (24-bit, mr0-mr2)
        jsr     mmul                    ;
        stx     mr0                     ;
        sta     mr0+1                   ;
        ldy     gm+1                    ;
        jsr     mmul                    ;
        sta     mr0+2                   ;
        txa                             ;
        clc                             ;
        adc     mr0+1                   ;
        sta     mr0+1                   ;
        bcc     :+                      ;
        inc     mr0+2                   ;
:       ldx     gstep                   ; + 2^(step-1) (- 1 when negative)
        dex                             ;
        lda     #0                      ;
        sta     mr0+3                   ;
        sta     mr0+4                   ;
        sta     mr0+5                   ;
        sec                             ;
:       rol                             ; A = 1 << (step-1) (step - 1 < 8)
        dex                             ;
        bpl     :-                      ;
        bit     gneg                    ;
        bpl     :+                      ;
        sec                             ;
        sbc     #1                      ;
:       clc                             ;
        adc     mr0                     ;
        sta     mr0                     ;
        bcc     :+                      ;
        inc     mr0+1                   ;
        bne     :+                      ;
        inc     mr0+2                   ;
:       ldx     gstep                   ; >> step (24-bit, logical)
:       lsr     mr0+2                   ;
        ror     mr0+1                   ;
        ror     mr0                     ;
        dex                             ;
        bne     :-                      ;
        bit     gneg                    ; s = a +- that (16 bits)
        bmi     :+                      ;
        clc                             ;
        lda     ga                      ;
        adc     mr0                     ;
        sta     gs                      ;
        lda     ga+1                    ;
        adc     mr0+1                   ;
        sta     gs+1                    ;
        jmp     @mul                    ;
:       sec                             ;
        lda     ga                      ;
        sbc     mr0                     ;
        sta     gs                      ;
        lda     ga+1                    ;
        sbc     mr0+1                   ;
        sta     gs+1                    ;

; ---- g = sat16((s * h3 + 2^(F-1)) >> F) ----------------------------------------
@mul:   ldy     #1                      ; sign = s xor h3
        lda     (ptr1),y                ;
        eor     gs+1                    ;
        and     #$80                    ;
        sta     gneg                    ;
        lda     (ptr1),y                ; |h3|
        bpl     :+                      ;
        dey                             ;
        sec                             ;
        lda     #0                      ;
        sbc     (ptr1),y                ;
        sta     gm                      ;
        iny                             ;
        lda     #0                      ;
        sbc     (ptr1),y                ;
        sta     gm+1                    ;
        jmp     :++                     ;
:       sta     gm+1                    ;
        dey                             ;
        lda     (ptr1),y                ;
        sta     gm                      ;
:       lda     gs+1                    ; |s|
        bpl     :+                      ;
        sec                             ;
        lda     #0                      ;
        sbc     gs                      ;
        sta     gs                      ;
        lda     #0                      ;
        sbc     gs+1                    ;
        sta     gs+1                    ;
:       lda     gs                      ; |s| lo * |h3|: mr0-mr2
        jsr     mset                    ;
        ldy     gm                      ;
        jsr     mmul                    ;
        stx     mr0                     ;
        sta     mr0+1                   ;
        ldy     gm+1                    ;
        jsr     mmul                    ;
        sta     mr0+2                   ;
        txa                             ;
        clc                             ;
        adc     mr0+1                   ;
        sta     mr0+1                   ;
        bcc     :+                      ;
        inc     mr0+2                   ;
:       lda     #0                      ;
        sta     mr0+3                   ;
        lda     gs+1                    ; |s| hi * |h3| at byte 1
        jsr     mset                    ;
        ldy     gm                      ;
        jsr     mmul                    ;
        sta     tmp2                    ;
        txa                             ;
        clc                             ;
        adc     mr0+1                   ;
        sta     mr0+1                   ;
        lda     tmp2                    ;
        adc     mr0+2                   ;
        sta     mr0+2                   ;
        bcc     :+                      ;
        inc     mr0+3                   ;
:       ldy     gm+1                    ;
        jsr     mmul                    ;
        sta     tmp2                    ;
        txa                             ;
        clc                             ;
        adc     mr0+2                   ;
        sta     mr0+2                   ;
        lda     tmp2                    ;
        adc     mr0+3                   ;
        sta     mr0+3                   ;
        lda     #0                      ; + 2^(F-1) (- 1 when negative): bit F-1
        sta     mr0+4                   ;
        sta     mr0+5                   ;
        sta     mr0+6                   ;
        sta     mr0+7                   ;
        ldx     _gate_frac              ;
        dex                             ;
        txa                             ;
        and     #7                      ;
        tay                             ;
        txa                             ;
        lsr                             ;
        lsr                             ;
        lsr                             ;
        tax                             ;
        lda     gbit,y                  ;
        clc                             ;
        adc     mr0,x                   ;
        sta     mr0,x                   ;
        bcc     @nr                     ;
:       inx                             ;
        inc     mr0,x                   ;
        beq     :-                      ;
@nr:    bit     gneg                    ; negative: - 1
        bpl     @shf                    ;
        ldx     #0                      ;
:       lda     mr0,x                   ;
        sec                             ;
        sbc     #1                      ;
        sta     mr0,x                   ;
        bcs     @shf                    ;
        inx                             ;
        bne     :-                      ; (always)
@shf:   ldx     gfb                     ; R = P >> F: bytes F>>3 .. +3, then F&7 bits
        lda     mr0,x                   ;
        sta     tmp2                    ;
        lda     mr0+1,x                 ;
        sta     tmp3                    ;
        lda     mr0+2,x                 ;
        sta     ptr3                    ;
        lda     mr0+3,x                 ;
        sta     ptr3+1                  ;
        lda     _gate_frac              ;
        and     #7                      ;
        beq     @sat                    ;
        tax                             ;
:       lsr     ptr3+1                  ;
        ror     ptr3                    ;
        ror     tmp3                    ;
        ror     tmp2                    ;
        dex                             ;
        bne     :-                      ;
@sat:   lda     ptr3                    ; R > 32767: 32767
        ora     ptr3+1                  ;
        bne     @max                    ;
        lda     tmp3                    ;
        bpl     @sign                   ;
@max:   lda     #$FF                    ;
        sta     tmp2                    ;
        lda     #$7F                    ;
        sta     tmp3                    ;
@sign:  bit     gneg                    ; apply the sign
        bpl     @st                     ;
        sec                             ;
        lda     #0                      ;
        sbc     tmp2                    ;
        sta     tmp2                    ;
        lda     #0                      ;
        sbc     tmp3                    ;
        sta     tmp3                    ;
@st:    ldy     #0                      ; hb = g
        lda     tmp2                    ;
        sta     (ptr2),y                ;
        iny                             ;
        lda     tmp3                    ;
        sta     (ptr2),y                ;
        lda     ptr1                    ; h3 += 2
        clc                             ;
        adc     #2                      ;
        sta     ptr1                    ;
        bcc     :+                      ;
        inc     ptr1+1                  ;
:       jsr     step                    ; hb += 2, n -= 1
        beq     :+                      ;
        jmp     @el                     ;
:       rts                             ;

; ----------------------------------------------------------------------------
; vec_argmax: ptr1 walks v, tmp1-tmp4 = the best value with its sign bit flipped (so the
; bytes compare unsigned from the top), ptr2 = index of v at ptr1, ptr3 = best index,
; sreg = elements left

_vec_argmax:
        sta     sreg                    ; n - 1 left after v[0]
        stx     sreg+1                  ;
        ldy     #1                      ; v
        lda     (sp),y                  ;
        sta     ptr1+1                  ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr1                    ;
        lda     sp                      ; pop 2
        clc                             ;
        adc     #2                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       lda     #0                      ; index 0
        sta     ptr2                    ;
        sta     ptr2+1                  ;
@new:   lda     ptr2                    ; best = v at ptr1
        sta     ptr3                    ;
        lda     ptr2+1                  ;
        sta     ptr3+1                  ;
        ldy     #0                      ;
        lda     (ptr1),y                ;
        sta     tmp1                    ;
        iny                             ;
        lda     (ptr1),y                ;
        sta     tmp2                    ;
        iny                             ;
        lda     (ptr1),y                ;
        sta     tmp3                    ;
        iny                             ;
        lda     (ptr1),y                ;
        eor     #$80                    ;
        sta     tmp4                    ;
@next:  lda     sreg                    ; one fewer left; none: done
        bne     :+                      ;
        dec     sreg+1                  ;
:       dec     sreg                    ;
        lda     sreg                    ;
        ora     sreg+1                  ;
        beq     @done                   ;
        inc     ptr2                    ; next element
        bne     :+                      ;
        inc     ptr2+1                  ;
:       clc                             ;
        lda     ptr1                    ;
        adc     #4                      ;
        sta     ptr1                    ;
        bcc     :+                      ;
        inc     ptr1+1                  ;
:       ldy     #3                      ; compare from the top byte: greater -> new best
        lda     (ptr1),y                ;
        eor     #$80                    ;
        cmp     tmp4                    ;
        bcc     @next                   ;
        bne     @new                    ;
        dey                             ;
        lda     (ptr1),y                ;
        cmp     tmp3                    ;
        bcc     @next                   ;
        bne     @new                    ;
        dey                             ;
        lda     (ptr1),y                ;
        cmp     tmp2                    ;
        bcc     @next                   ;
        bne     @new                    ;
        dey                             ;
        lda     (ptr1),y                ;
        cmp     tmp1                    ;
        bcc     @next                   ;
        beq     @next                   ; equal: the first one stays
        jmp     @new                    ;
@done:  lda     ptr3                    ;
        ldx     ptr3+1                  ;
        rts                             ;

        .segment "RODATA"
gbit:   .byte   1, 2, 4, 8, 16, 32, 64, 128 ; 1 << n
