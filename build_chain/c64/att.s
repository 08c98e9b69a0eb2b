;
; att.s - the attention inner loops: scores s_t = k_t . q and sums acc += p_t v_t   [attention]
;
; Both multiply int16 cache rows by 8-bit factors with mul.s's quarter squares: the factor
; m (|q_i| or p_t) is the multiplicand (mset), and a signed 16-bit k = (hi, lo) gives
; k*m = lo*m + (hi_u*m << 8) - (hi < 0 ? m << 16 : 0), a signed 24-bit term (|k*m| < 2^23).
; Scores add the term for q_i >= 0 and subtract it for q_i < 0; value sums skip p_t = 0.
;
; C prototypes (maths.h):
;   void __fastcall__ att_scores(int32_t* s, const int16_t* k, const int8_t* q, uint16_t n);
;   void __fastcall__ att_values(int32_t* acc, const int16_t* v, const uint8_t* p, uint16_t n);
;   extern uint8_t att_hs;                                       head size (1..16), set once
;
; Contract:
;   att_scores  in: n A/X; q, k, s on the C stack (6 bytes, popped)   out: s[0..n)
;   att_values  in: n A/X; p, v, acc on the C stack (popped)          out: acc[0..hs) updated
;   both clobber: A X Y, ptr1-ptr3, tmp1, tmp2, mul.s mp1-mp4 low bytes, the zero page above
;   k, v rows are att_hs int16 each, back to back (the KV chunk buffer).
;
; Coupling: mul.s's tables (mul_init first). Cycles: about 120 per multiply-add.
;
        .include "zeropage.inc"         ; sp, ptr1-ptr3, tmp1, tmp2

        .export _att_scores, _att_values, _att_hs
        .importzp mp1, mp2, mp3, mp4

        .segment "ZEROPAGE"
acnt:   .res    2                       ; rows left
am:     .res    1                       ; the factor m
at0:    .res    3                       ; term k*m (signed 24-bit)
aacc:   .res    4                       ; score of row t
ahi:    .res    1                       ; k hi

        .segment "BSS"
_att_hs:        .res 1                  ; head size
arow:   .res    1                       ; bytes per row (2 hs)
qabs:   .res    16                      ; |q_i|
qneg:   .res    16                      ; q_i < 0 ($80) or not (0)
vacc:   .res    64                      ; acc[0..hs) while att_values runs

        .segment "CODE"

; args: n A/X -> acnt; the three pointers from the C stack: sp+0 -> ptr3, sp+2 -> ptr2,
; sp+4 -> ptr1; pop 6
args:   sta     acnt                    ;
        stx     acnt+1                  ;
        ldy     #5                      ;
        lda     (sp),y                  ;
        sta     ptr1+1                  ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr1                    ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr2+1                  ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr2                    ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr3+1                  ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr3                    ;
        lda     sp                      ;
        clc                             ;
        adc     #6                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       lda     _att_hs                 ;
        asl                             ;
        sta     arow                    ;
        rts                             ;

; mset: multiplicand A (as mul.s's mset)
.macro  MSET
        sta     mp1                     ;
        sta     mp2                     ;
        eor     #$FF                    ;
        sta     mp3                     ;
        sta     mp4                     ;
.endmacro

; term: at0..at2 = k * am, k = (ahi, Y = lo); clobbers A X Y
.macro  TERM
        sec                             ; lo * m
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     at0                     ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     at0+1                   ;
        ldy     ahi                     ; hi_u * m
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        tax                             ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     at0+2                   ;
        txa                             ;
        clc                             ;
        adc     at0+1                   ;
        sta     at0+1                   ;
        bcc     :+                      ;
        inc     at0+2                   ;
:       bit     ahi                     ; hi < 0: - m << 16
        bpl     :+                      ;
        lda     at0+2                   ;
        sec                             ;
        sbc     am                      ;
        sta     at0+2                   ;
:
.endmacro

; ----------------------------------------------------------------------------
; att_scores: ptr1 = s, ptr2 = k, ptr3 = q

_att_scores:
        jsr     args                    ;
        ldy     #0                      ; |q|, signs
@q:     lda     (ptr3),y                ;
        and     #$80                    ;
        sta     qneg,y                  ;
        beq     :+                      ;
        lda     #0                      ;
        sec                             ;
        sbc     (ptr3),y                ;
        jmp     @qs                     ;
:       lda     (ptr3),y                ;
@qs:    sta     qabs,y                  ;
        iny                             ;
        cpy     _att_hs                 ;
        bne     @q                      ;
@row:   lda     acnt                    ; rows left?
        ora     acnt+1                  ;
        bne     :+                      ;
        rts                             ;
:       lda     #0                      ;
        sta     aacc                    ;
        sta     aacc+1                  ;
        sta     aacc+2                  ;
        sta     aacc+3                  ;
        ldx     #0                      ; i
@col:   stx     ptr3                    ; (q is no longer needed: ptr3 = i)
        lda     qabs,x                  ;
        bne     :+                      ; q_i = 0: nothing
        jmp     @next                   ;
:
        sta     am                      ;
        MSET                            ;
        txa                             ; Y = 2i
        asl                             ;
        tay                             ;
        iny                             ;
        lda     (ptr2),y                ;
        sta     ahi                     ;
        dey                             ;
        lda     (ptr2),y                ;
        tay                             ;
        TERM                            ;
        ldx     ptr3                    ;
        lda     qneg,x                  ;
        bne     @sub                    ;
        clc                             ; acc += term (sign-extended)
        lda     aacc                    ;
        adc     at0                     ;
        sta     aacc                    ;
        lda     aacc+1                  ;
        adc     at0+1                   ;
        sta     aacc+1                  ;
        lda     at0+2                   ;
        tay                             ; (sign source)
        adc     aacc+2                  ;
        sta     aacc+2                  ;
        tya                             ;
        bmi     :+                      ;
        lda     aacc+3                  ;
        adc     #0                      ;
        sta     aacc+3                  ;
        jmp     @next                   ;
:       lda     aacc+3                  ;
        adc     #$FF                    ;
        sta     aacc+3                  ;
        jmp     @next                   ;
@sub:   sec                             ; acc -= term
        lda     aacc                    ;
        sbc     at0                     ;
        sta     aacc                    ;
        lda     aacc+1                  ;
        sbc     at0+1                   ;
        sta     aacc+1                  ;
        lda     aacc+2                  ;
        sbc     at0+2                   ;
        sta     aacc+2                  ;
        bit     at0+2                   ;
        bmi     :+                      ;
        lda     aacc+3                  ;
        sbc     #0                      ;
        sta     aacc+3                  ;
        jmp     @next                   ;
:       lda     aacc+3                  ;
        sbc     #$FF                    ;
        sta     aacc+3                  ;
@next:  ldx     ptr3                    ;
        inx                             ;
        cpx     _att_hs                 ;
        beq     :+                      ;
        jmp     @col                    ;
:
        ldy     #3                      ; s[t] = acc
@st:    lda     aacc,y                  ;
        sta     (ptr1),y                ;
        dey                             ;
        bpl     @st                     ;
        lda     ptr1                    ; s += 4
        clc                             ;
        adc     #4                      ;
        sta     ptr1                    ;
        bcc     :+                      ;
        inc     ptr1+1                  ;
:       jsr     nextrow                 ;
        jmp     @row                    ;

; nextrow: ptr2 += 2 hs; acnt -= 1
nextrow:
        lda     ptr2                    ;
        clc                             ;
        adc     arow                    ;
        sta     ptr2                    ;
        bcc     :+                      ;
        inc     ptr2+1                  ;
:       lda     acnt                    ;
        bne     :+                      ;
        dec     acnt+1                  ;
:       dec     acnt                    ;
        rts                             ;

; ----------------------------------------------------------------------------
; att_values: ptr1 = acc, ptr2 = v, ptr3 = p

_att_values:
        jsr     args                    ;
        lda     arow                    ; copy acc in (4 hs bytes)
        asl                             ;
        tay                             ;
@in:    dey                             ;
        lda     (ptr1),y                ;
        sta     vacc,y                  ;
        tya                             ;
        bne     @in                     ;
@row:   lda     acnt                    ; rows left?
        ora     acnt+1                  ;
        bne     :+                      ;
        jmp     @out                    ;
:
        ldy     #0                      ; m = p_t
        lda     (ptr3),y                ;
        bne     :+                      ; p = 0: nothing to add
        jmp     @skip                   ;
:
        sta     am                      ;
        MSET                            ;
        ldx     #0                      ; 4i
        ldy     #0                      ; 2i
@col:   sty     tmp1                    ;
        iny                             ;
        lda     (ptr2),y                ;
        sta     ahi                     ;
        dey                             ;
        lda     (ptr2),y                ;
        tay                             ;
        stx     tmp2                    ;
        TERM                            ;
        ldx     tmp2                    ;
        clc                             ; acc[i] += term (sign-extended)
        lda     vacc,x                  ;
        adc     at0                     ;
        sta     vacc,x                  ;
        lda     vacc+1,x                ;
        adc     at0+1                   ;
        sta     vacc+1,x                ;
        lda     at0+2                   ;
        tay                             ;
        adc     vacc+2,x                ;
        sta     vacc+2,x                ;
        tya                             ;
        bmi     :+                      ;
        lda     vacc+3,x                ;
        adc     #0                      ;
        jmp     :++                     ;
:       lda     vacc+3,x                ;
        adc     #$FF                    ;
:       sta     vacc+3,x                ;
        inx                             ; next i
        inx                             ;
        inx                             ;
        inx                             ;
        ldy     tmp1                    ;
        iny                             ;
        iny                             ;
        cpy     arow                    ;
        beq     @skip                   ;
        jmp     @col                    ;
@skip:  inc     ptr3                    ; next p
        bne     :+                      ;
        inc     ptr3+1                  ;
:       jsr     nextrow                 ;
        jmp     @row                    ;
@out:   lda     arow                    ; copy acc out
        asl                             ;
        tay                             ;
@o:     dey                             ;
        lda     vacc,y                  ;
        sta     (ptr1),y                ;
        tya                             ;
        bne     @o                      ;
        rts                             ;
