;
; quant.s - the activation quantiser: int16 vector -> int8 vector with max/127     [quant]
;
; m = max |x|, k so that m << k is in [2^14, 2^15), r = (127 << 23) // (m << k) (u16, by
; restoring division); per element, with a = |x| and P = (a << k) * r:
;   q = (P + 2^22) >> 23              for x >= 0
;   q = -((P + 2^22 - 1) >> 23)       for x <  0   (= floor((-P + 2^22) / 2^23))
; computed without shifting a: R = r << (k+1) (< 2^24 for k <= 7) and v = a R + 2^23 = 2P + 2^23,
; so Q = (P + 2^22) >> 23 is byte 3 of v; x < 0 takes Q - 1 when v mod 2^24 = 0, which needs
; v2(a) = t = 23 - v2(R). v = TH[a hi] 256 + (a lo) R: TH (a hi = 0..m hi) is built per vector
; by addition in model.c's kvbuf, (a lo) R by two 8x8 quarter-square products (multiplicands
; R1 in mp1-mp4, R2 in qp1-qp4) that leave out what is below byte 2; an element goes the exact
; way (shift and add, mr0-mr7) when byte 2 is too close to a carry (~3 in 256), when x < 0 and
; a lo has the low bits of a tie, or, for k >= 8 (R >= 2^24), always.
;
; C prototype (maths.h):
;   uint8_t __fastcall__ quant(const int16_t* x, int8_t* q, uint8_t n);   returns k
;   extern uint16_t quant_s;                                               S = m << k
;
; Contract:
;   quant  in: n A (1..255); q, x on the C stack    out: A = k (X = 0), q[0..n), quant_s;
;          x all zero: q = 0, quant_s = 0, k = 0    clobbers: A X Y, ptr1, ptr2, tmp1-tmp4,
;          mul.s mp1-mp4 low bytes and mr0-mr7, quant's own zero page, kvbuf[0..387)
;
; Coupling: mul.s's quarter-square tables (mul_init first); mp1-mp4's high bytes stay as
; mul_init left them (only their low bytes are written, as by mset). model.c's kvbuf (HIBSS,
; >= 387 bytes) holds TH: nothing may keep data in it across a quant() call. The code patches
; its own immediates (tie mask, guard, the division's S). Cycles (sim65, |x| < 2^11): about 225 per element of
; a 64-vector (~25 of them the max scan), 395 per element of an 8-vector (~1600 per vector:
; division, TH, set-up); k >= 8: about 640 per element.
;
        .include "zeropage.inc"         ; sp, ptr1, ptr2, tmp1-tmp4

        .export _quant, _quant_s
        .importzp mp1, mp2, mp3, mp4, mr0
        .import _kvbuf, incsp4

qt1     = _kvbuf                        ; TH[h] bytes 1, 2, 3, h = 0..128: model.c's KV chunk
qt2     = _kvbuf + 129                  ; buffer, free while quant runs (see model.c)
qt3     = _kvbuf + 258                  ;

qi      = tmp1                          ; element pass: byte index into x
ql      = tmp2                          ; l = |x| lo
qneg    = tmp3                          ; bit 7: x < 0

        .segment "ZEROPAGE"
qp1:    .res    2                       ; -> sqlo + R2  (mp1-mp4 hold R1)
qp2:    .res    2                       ; -> sqhi + R2
qp3:    .res    2                       ; -> nsqlo + ~R2
qp4:    .res    2                       ; -> nsqhi + ~R2
qR:     .res    4                       ; r (the division's quotient), then R = r << (k+1)
qr:     .res    2                       ; the division's remainder; then qu, qw
qj:     .res    1                       ; index into q
qu      = qr                            ; lo(l R2); the exact path's bits of l
qw      = qr + 1                        ; hi(l R2)

        .segment "BSS"
_quant_s:       .res 2                  ; S = m << k
qn:     .res    1                       ; n
qk:     .res    1                       ; k
qh:     .res    1                       ; m hi: the last TH entry

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
        jsr     incsp4                  ; pop 4

; ---- m = max |x| (tmp1/tmp2) = max(P, N): P = max x >= 0, N = max over x < 0 of -x ------
; hi bytes first: an x whose (complemented) hi byte is below the maximum's costs 24 cycles
        lda     ptr1                    ; qR -> x (ptr1 stays for the element pass)
        sta     qR                      ;
        lda     ptr1+1                  ;
        sta     qR+1                    ;
        ldx     qn                      ; X = elements left
        lda     #0                      ; P = N = 0
        sta     tmp1                    ;
        sta     tmp2                    ;
        sta     tmp3                    ;
        sta     tmp4                    ;
        ldy     #1                      ; Y -> x hi
@max:   lda     (qR),y                ;
        bmi     @mn                     ;
        cmp     tmp2                    ; x >= 0: x > P ?
        bcc     @mnext                  ;
        bne     @pset                   ;
        dey                             ; same hi: lo
        lda     (qR),y                ;
        iny                             ;
        cmp     tmp1                    ;
        bcc     @mnext                  ;
        sta     tmp1                    ;
        bcs     @mnext                  ; (always)
@pset:  sta     tmp2                    ;
        dey                             ;
        lda     (qR),y                ;
        iny                             ;
        sta     tmp1                    ;
        bcs     @mnext                  ; (always)
@mn:    eor     #$FF                    ; x < 0: ~x >= N ? (-x = ~x + 1)
        cmp     tmp4                    ;
        bcc     @mnext                  ;
        bne     @nset                   ;
        dey                             ; same hi: lo
        lda     (qR),y                ;
        iny                             ;
        eor     #$FF                    ;
        cmp     tmp3                    ;
        bcc     @mnext                  ;
        lda     tmp4                    ;
@nset:  sta     tmp4                    ; N = ~x + 1
        dey                             ;
        lda     (qR),y                ;
        iny                             ;
        eor     #$FF                    ;
        clc                             ;
        adc     #1                      ;
        sta     tmp3                    ;
        bcc     @mnext                  ;
        inc     tmp4                    ;
@mnext: iny                             ; next x
        beq     @mwrap                  ;
@mw:    iny                             ;
        dex                             ;
        bne     @max                    ;
        beq     @mdone                  ; (always)
@mwrap: inc     qR+1                  ;
        bne     @mw                     ; (always)
@mdone: lda     tmp1                    ; m = max(P, N)
        cmp     tmp3                    ;
        lda     tmp2                    ;
        sbc     tmp4                    ;
        bcs     :+                      ;
        lda     tmp3                    ;
        sta     tmp1                    ;
        lda     tmp4                    ;
        sta     tmp2                    ;
:
; ---- k, S = m << k ----------------------------------------------------------
        lda     tmp2                    ; m hi: |x| hi <= qh
        sta     qh                      ;
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

; ---- r = $3F800000 // S: 16 quotient bits, a byte at a time (hi, then lo) into qR+1, qR
; from a sentinel 1 (its carry-out ends the byte); remainder hi in A, lo in qr; S in the
; compares' and subtractions' immediates (patched)
        lda     _quant_s                ; S into the immediates
        sta     @sl1+1                  ;
        sta     @sl2+1                  ;
        lda     _quant_s+1              ;
        sta     @sh1+1                  ;
        sta     @sh2+1                  ;
        lda     #$80                    ; dividend high word $3F80 (< S), low word 0
        sta     qr                      ;
        lda     #$3F                    ;
        ldx     #1                      ; quotient byte: qR+1, then qR
@byte:  ldy     #1                      ; sentinel
        sty     qR,x                    ;
@div:   asl     qr                      ; rem = rem*2 + 0 (bit 16 in C)
        rol                             ;
        bcs     @dsub                   ; rem >= 2^16 > S: subtract
@sh1:   cmp     #0                      ; rem >= S ? (S hi, patched)
        bcc     @dbit                   ; (C = 0: bit 0)
        bne     @dsub                   ;
        ldy     qr                      ;
@sl1:   cpy     #0                      ; (S lo, patched)
        bcc     @dbit                   ;
@dsub:  tay                             ; rem -= S (C = 1 on every path here)
        lda     qr                      ;
@sl2:   sbc     #0                      ; (S lo, patched)
        sta     qr                      ;
        tya                             ;
@sh2:   sbc     #0                      ; (S hi, patched)
        sec                             ; bit 1
@dbit:  rol     qR,x                    ; quotient bit in, sentinel out after 8
        bcc     @div                    ;
        dex                             ;
        bpl     @byte                   ;

; ---- R = r << (k+1) (u32; < 2^24 for k <= 7), t = 23 - v2(R) -------------------------
        lda     qR                      ; X = v2(r) (r > 0)
        sta     tmp1                    ;
        lda     qR+1                    ;
        sta     tmp2                    ;
        ldx     #0                      ;
@v2:    lsr     tmp2                    ;
        ror     tmp1                    ;
        bcs     :+                      ;
        inx                             ;
        bne     @v2                     ; (always)
:       stx     tmp1                    ; t = 23 - v2(R) = 22 - k - v2(r); negative x needs
        lda     #22                     ; its -1 exactly when v2(|x|) = t (then
        sec                             ; |x| R + 2^23 = 0 mod 2^24)
        sbc     qk                      ;
        sec                             ;
        sbc     tmp1                    ;
        ldx     #0                      ; x < 0 with (l & mask) = bit goes the exact way:
        ldy     #1                      ; t > 15 (or < 0): never (mask 0, bit 1)
        cmp     #16                     ;
        bcs     @tdone                  ;
        ldx     #$FF                    ; t >= 8: l = 0 (mask $FF, bit 0)
        dey                             ;
        cmp     #8                      ;
        bcs     @tdone                  ;
        tay                             ; t < 8: bit = 1 << t, mask = 2 bit - 1
        lda     #1                      ;
        cpy     #0                      ;
        beq     :++                     ;
:       asl                             ;
        dey                             ;
        bne     :-                      ;
:       tay                             ;
        asl                             ;
        tax                             ;
        dex                             ;
@tdone: stx     @mlo                    ;
        sty     @blo                    ;
        lda     #0                      ; qR = r (qR/qR+1 are qR0/qR1)
        sta     qR+2                    ;
        sta     qR+3                    ;
        ldx     qk                      ;
        inx                             ;
@rsh:   asl     qR                      ;
        rol     qR+1                    ;
        rol     qR+2                    ;
        rol     qR+3                    ;
        dex                             ;
        bne     @rsh                    ;

; ---- multiplicands: mp1-mp4 = R1, qp1-qp4 = R2; guard --------------------------------------
        lda     qR+1                    ; R1
        sta     mp1                     ;
        sta     mp2                     ;
        eor     #$FF                    ;
        sta     mp3                     ;
        sta     mp4                     ;
        lda     qR+2                    ; R2
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
        lda     #$FE                    ; R < 2^24 (k <= 7): the guard of the
        ldx     qR+3                    ; short product (below); else every element takes
        beq     :+                      ; the exact path
        lda     #0                      ;
:       sta     @guard                   ;

; ---- TH[h] = bytes 1..3 of h R 256 + 2^23, h = 0..m hi (qt1..qt3) -----------------------
        ldx     #0                      ;
        stx     qt1                     ;
        stx     qt3                     ;
        lda     #$80                    ;
        sta     qt2                     ;
@tb:    cpx     qh                      ; (C = 0 when it goes on)
        bcs     @tbd                    ;
        inx                             ;
        lda     qt1-1,x                 ;
        adc     qR                      ;
        sta     qt1,x                   ;
        lda     qt2-1,x                 ;
        adc     qR+1                    ;
        sta     qt2,x                   ;
        lda     qt3-1,x                 ;
        adc     qR+2                    ;
        sta     qt3,x                   ;
        bcc     @tb                     ; (always: h R 256 + 2^23 < 2^32)
@tbd:

; ---- elements: Q = byte 3 of v = |x| R + 2^23 = TH[h] 256 + l R (h, l = |x| hi, lo) ----
; fast: hi(l R1) + lo(l R2) + TH2[h] (byte 2) and hi(l R2) + TH3[h] + its carries (byte 3);
; what is left out (l R0, lo(l R1) 256, TH1[h] 256) is < 3 2^16 and hi(l R1) is taken
; without the borrow of its low bytes (1 too high at most), so bytes 3..2 are at most 1 too
; high or 2 too low: Q is exact unless byte 2 is $FE, $FF or 0 (then the exact path). q = Q for x >= 0, -(Q - [v mod 2^24 = 0]) for x < 0.
        ldy     #0                      ;
        sty     qi                      ; byte index into x
        sty     qj                      ; index into q
@el:    ldy     qi                      ;
        lda     (ptr1),y                ; x lo
        sta     ql                      ;
        iny                             ;
        lda     (ptr1),y                ; x hi
        iny                             ;
        sty     qi                      ;
        bne     :+                      ;
        inc     ptr1+1                  ;
:       sta     qneg                    ; bit 7: x < 0
        tax                             ; h
        bpl     @prod                   ;
        lda     #0                      ; |x| = -x
        sec                             ;
        sbc     ql                      ;
        sta     ql                      ;
        txa                             ; ~hi, + 1 when lo = 0 (C)
        eor     #$FF                    ;
        adc     #0                      ;
        tax                             ;
        lda     ql                      ; maybe v mod 2^24 = 0: exact path
        and     #0                      ;
@mlo = * - 1
        cmp     #0                      ;
@blo = * - 1
        beq     @slow                   ;
@prod:  ldy     ql                      ; l
        sec                             ; l R2
        lda     (qp1),y                 ;
        sbc     (qp3),y                 ;
        sta     qu                      ; lo
        lda     (qp2),y                 ;
        sbc     (qp4),y                 ;
        sta     qw                      ; hi (C = 1)
        lda     (mp2),y                 ; hi(l R1) + (0 or 1): the low bytes' borrow is
        sbc     (mp4),y                 ; left out
        ldy     qw                      ; Y = byte 3 so far
        clc                             ; byte 2
        adc     qu                      ;
        bcc     :+                      ;
        iny                             ;
        clc                             ;
:       adc     qt2,x                   ;
        beq     @slow                   ; byte 2 = 0: may be 1 too high
        bcc     :+                      ;
        iny                             ;
:       cmp     #0                      ; byte 2 >= $FE (patched; 0 for k >= 8): exact
@guard = * - 1
        bcs     @slow                   ;
        tya                             ;
        clc                             ;
        adc     qt3,x                   ; Q
@have:  bit     qneg                    ;
        bpl     @store                  ;
        eor     #$FF                    ; -Q
        clc                             ;
        adc     #1                      ;
@store: ldy     qj                      ;
        sta     (ptr2),y                ;
        inc     qj                      ;
        dec     qn                      ;
        beq     :+                      ;
        jmp     @el                     ;
:       lda     qk                      ; return k
        ldx     #0                      ;
        rts                             ;

; exact: mr0..mr3 = TH[h] 256 + l * (mr4..mr7 = R), shift and add; A = byte 3
@slow:  lda     #0                      ;
        sta     mr0                     ;
        lda     qt1,x                   ;
        sta     mr0+1                   ;
        lda     qt2,x                   ;
        sta     mr0+2                   ;
        lda     qt3,x                   ;
        sta     mr0+3                   ;
        ldx     #3                      ;
:       lda     qR,x                    ;
        sta     mr0+4,x                 ;
        dex                             ;
        bpl     :-                      ;
        lda     ql                      ;
        sta     qu                      ;
@sl:    lsr     qu                      ; next bit of l
        bcc     @sn                     ;
        ldx     #$FC                    ; mr0..3 += mr4..7
        clc                             ;
:       lda     mr0+4,x                 ;
        adc     mr0+8,x                 ;
        sta     mr0+4,x                 ;
        inx                             ;
        bne     :-                      ;
@sn:    asl     mr0+4                   ; R <<= 1
        rol     mr0+5                   ;
        rol     mr0+6                   ;
        rol     mr0+7                   ;
        lda     qu                      ;
        bne     @sl                     ;
        bit     qneg                    ; x < 0: Q - 1 when v mod 2^24 = 0
        bpl     :+                      ;
        lda     mr0                     ;
        ora     mr0+1                   ;
        ora     mr0+2                   ;
        bne     :+                      ;
        dec     mr0+3                   ;
:       lda     mr0+3                   ;
        jmp     @have                   ;

; x all zero: q = 0, S = 0, k = 0
zero:   lda     #0                      ;
        sta     _quant_s                ;
        sta     _quant_s+1              ;
        ldy     qn                      ;
@z:     dey                             ;
        sta     (ptr2),y                ;
        bne     @z                      ;
        ldx     #0                      ;
        rts                             ;
