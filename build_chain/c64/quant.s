;
; quant.s - the activation quantiser: int16 vector -> int8 vector with max/127     [quant]
;
; m = max |x|, k so that m << k is in [2^14, 2^15), r = (127 << 23) // (m << k) (u16, by
; restoring division), then per element P = |x << k| * r (u32, four 8x8 quarter-square
; products: multiplicands r lo / r hi are set once per vector) and
;   q = (P + 2^22) >> 23              for x >= 0
;   q = -((P + 2^22 - 1) >> 23)       for x <  0   (= floor((-P + 2^22) / 2^23))
;
; C prototype (maths.h):
;   uint8_t __fastcall__ quant(const int16_t* x, int8_t* q, uint8_t n);   returns k
;   extern uint16_t quant_s;                                               S = m << k
;
; Contract:
;   quant  in: n A (1..255); q, x on the C stack    out: A = k (X = 0), q[0..n), quant_s;
;          x all zero: q = 0, quant_s = 0, k = 0    clobbers: A X Y, ptr1, ptr2, tmp1-tmp4,
;          mul.s mp1-mp4 low bytes, qm0-qm7, quant's own zero page
;
; Coupling: mul.s's quarter-square tables (mul_init first); mp1-mp4's high bytes stay as
; mul_init left them (only their low bytes are written, as by mset). Cycles: about 200 per
; element plus 20 per element and bit of k, plus about 900 per vector.
;
        .include "zeropage.inc"         ; sp, ptr1, ptr2, tmp1-tmp4

        .export _quant, _quant_s
        .importzp mp1, mp2, mp3, mp4

        .segment "ZEROPAGE"
qp1:    .res    2                       ; -> sqlo + r hi  (mp1-mp4 hold r lo)
qp2:    .res    2                       ; -> sqhi + r hi
qp3:    .res    2                       ; -> nsqlo + ~r hi
qp4:    .res    2                       ; -> nsqhi + ~r hi
qa:     .res    2                       ; |x << k|
qr:     .res    2                       ; r, then the division's remainder work
qpr:    .res    4                       ; P = qa * r

        .segment "BSS"
_quant_s:       .res 2                  ; S = m << k
qn:     .res    1                       ; n
qk:     .res    1                       ; k
qneg:   .res    1                       ; x < 0

        .segment "CODE"

_quant:
        sta     qn                      ; n
        ldy     #0                      ; q -> ptr2, x -> ptr1
        lda     (sp),y                  ;
        sta     ptr2                    ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ptr2+1                  ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ptr1                    ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ptr1+1                  ;
        lda     sp                      ; pop 4
        clc                             ;
        adc     #4                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;

; ---- m = max |x| (tmp1/tmp2) ------------------------------------------------
:       lda     ptr1                    ; keep x and n for the element pass
        sta     xsave                   ;
        lda     ptr1+1                  ;
        sta     xsave+1                 ;
        lda     qn                      ;
        sta     nsave                   ;
        lda     #0                      ;
        sta     tmp1                    ;
        sta     tmp2                    ;
@max:   ldy     #1                      ; high byte
        lda     (ptr1),y                ;
        bmi     @mneg                   ;
        tax                             ; |x| = x
        dey                             ;
        lda     (ptr1),y                ;
        jmp     @mcmp                   ;
@mneg:  dey                             ; |x| = -x
        lda     #0                      ;
        sec                             ;
        sbc     (ptr1),y                ;
        sta     tmp3                    ;
        iny                             ;
        lda     #0                      ;
        sbc     (ptr1),y                ;
        tax                             ;
        lda     tmp3                    ;
@mcmp:  cpx     tmp2                    ; |x| (X:A) > m ?
        bcc     @mnext                  ; high smaller
        bne     @mset                   ; high larger
        cmp     tmp1                    ;
        bcc     @mnext                  ;
        beq     @mnext                  ;
@mset:  sta     tmp1                    ;
        stx     tmp2                    ;
@mnext: clc                             ; next x
        lda     ptr1                    ;
        adc     #2                      ;
        sta     ptr1                    ;
        bcc     :+                      ;
        inc     ptr1+1                  ;
:       dec     qn                      ;
        bne     @max                    ;

; ---- k, S = m << k ----------------------------------------------------------
        ldx     #0                      ; k
        lda     tmp1                    ;
        ora     tmp2                    ;
        bne     @kloop                  ;
        jmp     zero                    ; all zero
@kloop: lda     tmp2                    ; while m < $4000: m <<= 1
        cmp     #$40                    ;
        bcs     @kdone                  ;
        asl     tmp1                    ;
        rol     tmp2                    ;
        inx                             ;
        bne     @kloop                  ; (always)
@kdone: stx     qk                      ;
        lda     tmp1                    ;
        sta     _quant_s                ;
        lda     tmp2                    ;
        sta     _quant_s+1              ;

; ---- r = $3F800000 // S: 16 quotient bits, remainder in qr ------------------
        lda     #$80                    ; dividend high word $3F80 (< S), low word 0
        sta     qr                      ;
        lda     #$3F                    ;
        sta     qr+1                    ;
        lda     #0                      ; quotient bits enter at qpr/qpr+1
        sta     qpr                     ;
        sta     qpr+1                   ;
        ldx     #16                     ;
@div:   asl     qpr                     ; shift quotient, remainder: rem = rem*2 + 0
        rol     qpr+1                   ;
        asl     qr                      ;
        rol     qr+1                    ;
        bcs     @dsub                   ; rem >= 2^16 > S: subtract
        lda     qr                      ; rem >= S ?
        cmp     _quant_s                ;
        lda     qr+1                    ;
        sbc     _quant_s+1              ;
        bcc     @dnext                  ;
@dsub:  lda     qr                      ; rem -= S, quotient bit 1
        sec                             ;
        sbc     _quant_s                ;
        sta     qr                      ;
        lda     qr+1                    ;
        sbc     _quant_s+1              ;
        sta     qr+1                    ;
        inc     qpr                     ;
@dnext: dex                             ;
        bne     @div                    ;

; ---- multiplicands: mp1-mp4 = r lo, qp1-qp4 = r hi --------------------------
        lda     qpr                     ; r lo
        sta     mp1                     ;
        sta     mp2                     ;
        eor     #$FF                    ;
        sta     mp3                     ;
        sta     mp4                     ;
        lda     qpr+1                   ; r hi
        sta     qp1                     ;
        sta     qp2                     ;
        eor     #$FF                    ;
        sta     qp3                     ;
        sta     qp4                     ;
        lda     mp1+1                   ; table pages as mul_init set them
        sta     qp1+1                   ;
        lda     mp2+1                   ;
        sta     qp2+1                   ;
        lda     mp3+1                   ;
        sta     qp3+1                   ;
        lda     mp4+1                   ;
        sta     qp4+1                   ;

; ---- elements ---------------------------------------------------------------
        jsr     rewind                  ; ptr1 -> x[0], qn = n
        ldy     #0                      ;
        sty     tmp3                    ; i (byte index into q)
@el:    ldy     #0                      ; a = x (then << k)
        lda     (ptr1),y                ;
        sta     qa                      ;
        iny                             ;
        lda     (ptr1),y                ;
        sta     qa+1                    ;
        ldx     qk                      ;
        beq     @abs                    ;
@shl:   asl     qa                      ;
        rol     qa+1                    ;
        dex                             ;
        bne     @shl                    ;
@abs:   lda     qa+1                    ; sign, |a|
        sta     qneg                    ;
        bpl     @mul                    ;
        lda     #0                      ;
        sec                             ;
        sbc     qa                      ;
        sta     qa                      ;
        lda     #0                      ;
        sbc     qa+1                    ;
        sta     qa+1                    ;
@mul:   ldy     qa                      ; a lo * r lo -> qpr0, qpr1
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     qpr                     ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     qpr+1                   ;
        sec                             ; a lo * r hi -> + qpr1, qpr2
        lda     (qp1),y                 ;
        sbc     (qp3),y                 ;
        tax                             ;
        lda     (qp2),y                 ;
        sbc     (qp4),y                 ;
        sta     qpr+2                   ;
        txa                             ;
        clc                             ;
        adc     qpr+1                   ;
        sta     qpr+1                   ;
        lda     #0                      ;
        adc     qpr+2                   ;
        sta     qpr+2                   ;
        lda     #0                      ;
        rol                             ; (carry out of byte 2: never, a*r < 2^32)
        sta     qpr+3                   ;
        ldy     qa+1                    ; a hi * r lo -> + qpr1, qpr2
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        tax                             ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     tmp1                    ;
        txa                             ;
        clc                             ;
        adc     qpr+1                   ;
        sta     qpr+1                   ;
        lda     tmp1                    ;
        adc     qpr+2                   ;
        sta     qpr+2                   ;
        bcc     :+                      ;
        inc     qpr+3                   ;
:       sec                             ; a hi * r hi -> + qpr2, qpr3
        lda     (qp1),y                 ;
        sbc     (qp3),y                 ;
        tax                             ;
        lda     (qp2),y                 ;
        sbc     (qp4),y                 ;
        sta     tmp1                    ;
        txa                             ;
        clc                             ;
        adc     qpr+2                   ;
        sta     qpr+2                   ;
        lda     tmp1                    ;
        adc     qpr+3                   ;
        sta     qpr+3                   ;
        lda     qpr+2                   ; + 2^22
        clc                             ;
        adc     #$40                    ;
        sta     qpr+2                   ;
        bcc     :+                      ;
        inc     qpr+3                   ;
:       bit     qneg                    ;
        bmi     @neg                    ;
        asl                             ; q = (qpr3:qpr2) >> 7
        lda     qpr+3                   ;
        rol                             ;
        jmp     @store                  ;
@neg:   asl                             ; q = -(((P + 2^22 - 1)) >> 23)
        lda     qpr+3                   ;
        rol                             ;
        tax                             ; X = (P + 2^22) >> 23
        lda     qpr+2                   ; exact multiple of 2^23: one less
        and     #$7F                    ;
        ora     qpr+1                   ;
        ora     qpr                     ;
        bne     :+                      ;
        dex                             ;
:       txa                             ; negate
        eor     #$FF                    ;
        clc                             ;
        adc     #1                      ;
@store: ldy     tmp3                    ;
        sta     (ptr2),y                ;
        inc     tmp3                    ;
        clc                             ; next x
        lda     ptr1                    ;
        adc     #2                      ;
        sta     ptr1                    ;
        bcc     :+                      ;
        inc     ptr1+1                  ;
:       dec     qn                      ;
        beq     :+                      ;
        jmp     @el                     ;
:       lda     qk                      ; return k
        ldx     #0                      ;
        rts                             ;

; x all zero: q = 0, S = 0, k = 0
zero:   jsr     rewind                  ;
        lda     #0                      ;
        sta     _quant_s                ;
        sta     _quant_s+1              ;
        ldy     qn                      ;
@z:     dey                             ;
        sta     (ptr2),y                ;
        bne     @z                      ;
        ldx     #0                      ;
        rts                             ;

; rewind: ptr1 -> x[0] again and qn = n (both were used up by the max scan)
rewind: lda     xsave                   ;
        sta     ptr1                    ;
        lda     xsave+1                 ;
        sta     ptr1+1                  ;
        lda     nsave                   ;
        sta     qn                      ;
        rts                             ;

        .segment "BSS"
xsave:  .res    2                       ; x
nsave:  .res    1                       ; n
