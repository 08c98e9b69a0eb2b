;
; exkern.s - the exact mode's hot kernels (overlay, segment EXCODE): an int16 dot product
; with a 64-bit sum and an unsigned 32x32 -> 64 multiply, both on quarter-square tables
; (a*b = sqr(a+b) - sqr(a-b), sqr(n) = floor(n*n/4)) of their own in segment EXTBSS.
;
; C prototypes (exact.h):
;   void ex_tables(void);                                      build the tables; once
;   void __fastcall__ ex_dot16(ex64_t* dot, const int16_t* w, const int16_t* m, uint8_t n);
;                                   dot = sum w[j]*m[j], |w|, |m| <= 32767, n <= 255
;   void __fastcall__ w_umul(ex64_t* r, uint32_t a, uint32_t b);   r = a*b, unsigned
;
; Contract (C callers, cc65 fastcall):
;   ex_tables  in: -                              out: -       clobbers: A X Y, xq0-xq0+1
;   ex_dot16   in: n A; m, w, dot on the C stack  out: *dot    clobbers: A X Y, xp1-xp4,
;                                                                        xq0-xq0+7, xw, xm, xacc
;   w_umul     in: b A/X/sreg; a, r on the stack  out: *r      clobbers: A X Y, xp1-xp4,
;                                                                        xq0+4-xq0+7, xacc, xa,
;                                                                        xr, xm
;
; Coupling: the tables are page-aligned in EXTBSS; xp1-xp4's high bytes are set by ex_tables
; only. The overlay's RAM is swapped with the fast mode's (exact.c), so the tables survive
; between calls only inside the exact mode's slot.
;
        .include "zeropage.inc"         ; sp, sreg

        .export _ex_tables, _ex_dot16, _w_umul
        .import incsp2, incsp6

        .segment "ZEROPAGE"
xp1:    .res    2                       ; -> sqlo + a
xp2:    .res    2                       ; -> sqhi + a
xp3:    .res    2                       ; -> nsqlo + ~a
xp4:    .res    2                       ; -> nsqhi + ~a
xq0:    .res    8                       ; scratch: operands / product bytes
xw:     .res    2                       ; -> w[j]
xm:     .res    2                       ; -> m[j]
xacc:   .res    8                       ; 64-bit sum
xcnt:   .res    1                       ; terms left
xt:     .res    1                       ; umul16 scratch
xsgn:   .res    1                       ; bit 7: product negative
xa:     .res    4                       ; w_umul: a
xr:     .res    5                       ; w_umul: one 40-bit row a_i * b

        .segment "EXBSS"
        .align  256
sqlo:   .res    512                     ; sqr(i) low,  i = 0..511
sqhi:   .res    512                     ; sqr(i) high
nsqlo:  .res    512                     ; sqr(|i-255|) low
nsqhi:  .res    512                     ; sqr(|i-255|) high

        .segment "EXCODE"

; ----------------------------------------------------------------------------
; ex_tables: sqr(i) = i*i >> 2 built by sqr(i+1) = sqr(i) + ((i+1) >> 1) ... via i*i

_ex_tables:
        lda     #0                      ; running i*i/4 as 16-bit in xq0/xq0+1,
        sta     xq0                     ; from (i*i) += 2i+1, kept as i*i (18 bits):
        sta     xq0+1                   ; xq0..xq0+2 = i*i
        sta     xq0+2                   ;
        ldx     #0                      ; i low byte
        ldy     #0                      ; i high bit (0 / 1)
@loop:  lda     xq0+2                   ; sqr = (i*i) >> 2
        sta     xq0+5                   ;
        lda     xq0+1                   ;
        sta     xq0+4                   ;
        lda     xq0                     ;
        lsr     xq0+5                   ;
        ror     xq0+4                   ;
        ror                             ;
        lsr     xq0+5                   ;
        ror     xq0+4                   ;
        ror                             ;
        cpy     #0                      ;
        bne     @hi                     ;
        sta     sqlo,x                  ; i < 256
        lda     xq0+4                   ;
        sta     sqhi,x                  ;
        jmp     @next                   ;
@hi:    sta     sqlo+256,x              ; i >= 256
        lda     xq0+4                   ;
        sta     sqhi+256,x              ;
@next:  txa                             ; i*i += 2i + 1: add i twice, then 1
        clc                             ;
        adc     xq0                     ;
        sta     xq0                     ;
        tya                             ;
        adc     xq0+1                   ;
        sta     xq0+1                   ;
        lda     #0                      ;
        adc     xq0+2                   ;
        sta     xq0+2                   ;
        txa                             ;
        sec                             ; (+1)
        adc     xq0                     ;
        sta     xq0                     ;
        tya                             ;
        adc     xq0+1                   ;
        sta     xq0+1                   ;
        lda     #0                      ;
        adc     xq0+2                   ;
        sta     xq0+2                   ;
        inx                             ;
        bne     @loop                   ;
        iny                             ;
        cpy     #2                      ;
        bne     @loop                   ;
        ldx     #0                      ; nsq[i] = sq[255-i], i <= 255
        ldy     #255                    ;
@ns0:   lda     sqlo,y                  ;
        sta     nsqlo,x                 ;
        lda     sqhi,y                  ;
        sta     nsqhi,x                 ;
        dey                             ;
        inx                             ;
        bne     @ns0                    ;
@ns1:   lda     sqlo+1,x                ; nsq[256+i] = sq[i+1]
        sta     nsqlo+256,x             ;
        lda     sqhi+1,x                ;
        sta     nsqhi+256,x             ;
        inx                             ;
        bne     @ns1                    ;
        lda     #>sqlo                  ; pointer pages, fixed from now on
        sta     xp1+1                   ;
        lda     #>sqhi                  ;
        sta     xp2+1                   ;
        lda     #>nsqlo                 ;
        sta     xp3+1                   ;
        lda     #>nsqhi                 ;
        sta     xp4+1                   ;
        rts                             ;

; ----------------------------------------------------------------------------
; mset: multiplicand A for the next (xp),y products

.macro  mset
        sta     xp1                     ; sqr(a + y)
        sta     xp2                     ;
        eor     #$FF                    ; sqr(y - a) via ~a + y
        sta     xp3                     ;
        sta     xp4                     ;
.endmacro

; mmul: product (multiplicand) * Y -> lo A? : lo in X, hi in A
.macro  mmul
        sec                             ;
        lda     (xp1),y                 ; sqr(a+b) - sqr(b-a), low
        sbc     (xp3),y                 ;
        tax                             ;
        lda     (xp2),y                 ; high
        sbc     (xp4),y                 ;
.endmacro

; ----------------------------------------------------------------------------
; umul16: xq0..xq0+3 = (xq0+4,xq0+5) * (xq0+6,xq0+7), unsigned 16 x 16 (operands < 2^16)
; (product bytes: xq0 xq0+1 xq0+2 xq0+3; xq0+4.. operands survive)

umul16:
        lda     xq0+4                     ; a lo
        mset                            ;
        ldy     xq0+6                     ; * b lo
        mmul                            ;
        stx     xq0                     ;
        sta     xq0+1                     ;
        ldy     xq0+7                     ; * b hi
        mmul                            ;
        clc                             ;
        stx     xq0+3                     ; (temp)
        adc     #0                      ; hi of al*bh -> xq0+2
        sta     xq0+2                     ;
        lda     xq0+3                     ;
        adc     xq0+1                     ;
        sta     xq0+1                     ;
        lda     #0                      ;
        adc     xq0+2                     ;
        sta     xq0+2                     ;
        lda     #0                      ;
        sta     xq0+3                     ;
        lda     xq0+5                     ; a hi
        mset                            ;
        ldy     xq0+6                     ; * b lo
        mmul                            ;
        sta     xt                      ; (temp hi)
        txa                             ;
        clc                             ;
        adc     xq0+1                     ;
        sta     xq0+1                     ;
        lda     xt                      ;
        adc     xq0+2                     ;
        sta     xq0+2                     ;
        bcc     :+                      ;
        inc     xq0+3                     ;
:       ldy     xq0+7                     ; * b hi
        mmul                            ;
        sta     xt                      ;
        txa                             ;
        clc                             ;
        adc     xq0+2                     ;
        sta     xq0+2                     ;
        lda     xt                      ;
        adc     xq0+3                     ;
        sta     xq0+3                     ;
        rts                             ;

; ----------------------------------------------------------------------------
; ex_dot16

_ex_dot16:
        sta     xcnt                    ; n
        ldy     #0                      ; m
        lda     (sp),y                  ;
        sta     xm                      ;
        iny                             ;
        lda     (sp),y                  ;
        sta     xm+1                    ;
        iny                             ; w
        lda     (sp),y                  ;
        sta     xw                      ;
        iny                             ;
        lda     (sp),y                  ;
        sta     xw+1                    ;
        lda     #0                      ;
        ldx     #7                      ;
@clr:   sta     xacc,x                  ;
        dex                             ;
        bpl     @clr                    ;
        lda     xcnt                    ;
        bne     @term                   ;
        jmp     @done                   ;
@term:  ldy     #1                      ; m[j]
        lda     (xm),y                  ;
        sta     xsgn                    ;
        bpl     @mpos                   ;
        dey                             ; |m|
        lda     #0                      ;
        sec                             ;
        sbc     (xm),y                  ;
        sta     xq0+6                     ;
        iny                             ;
        lda     #0                      ;
        sbc     (xm),y                  ;
        sta     xq0+7                     ;
        jmp     @w                      ;
@mpos:  sta     xq0+7                     ;
        dey                             ;
        lda     (xm),y                  ;
        sta     xq0+6                     ;
        ora     xq0+7                     ;
        bne     @w                      ;
        jmp     @next                   ; m[j] = 0: no term
@w:     ldy     #1                      ; w[j]
        lda     (xw),y                  ;
        bpl     @wpos                   ;
        eor     xsgn                    ; sign of the product
        sta     xsgn                    ;
        dey                             ; |w|
        lda     #0                      ;
        sec                             ;
        sbc     (xw),y                  ;
        sta     xq0+4                     ;
        iny                             ;
        lda     #0                      ;
        sbc     (xw),y                  ;
        sta     xq0+5                     ;
        jmp     @mul                    ;
@wpos:  sta     xq0+5                     ;
        dey                             ;
        lda     (xw),y                  ;
        sta     xq0+4                     ;
@mul:   jsr     umul16                  ; xq0..3 = |w| * |m|
        bit     xsgn                    ;
        bmi     @sub                    ;
        clc                             ; xacc += product
        lda     xacc                    ;
        adc     xq0                     ;
        sta     xacc                    ;
        lda     xacc+1                  ;
        adc     xq0+1                   ;
        sta     xacc+1                  ;
        lda     xacc+2                  ;
        adc     xq0+2                   ;
        sta     xacc+2                  ;
        lda     xacc+3                  ;
        adc     xq0+3                   ;
        sta     xacc+3                  ;
        bcc     @next                   ;
        inc     xacc+4                  ;
        jmp     @next                   ;
@sub:   sec                             ; xacc -= product
        lda     xacc                    ;
        sbc     xq0                     ;
        sta     xacc                    ;
        lda     xacc+1                  ;
        sbc     xq0+1                   ;
        sta     xacc+1                  ;
        lda     xacc+2                  ;
        sbc     xq0+2                   ;
        sta     xacc+2                  ;
        lda     xacc+3                  ;
        sbc     xq0+3                   ;
        sta     xacc+3                  ;
        bcs     @next                   ;
        dec     xacc+4                  ;
@next:  clc                             ; j + 1
        lda     xm                      ;
        adc     #2                      ;
        sta     xm                      ;
        bcc     :+                      ;
        inc     xm+1                    ;
:       clc                             ;
        lda     xw                      ;
        adc     #2                      ;
        sta     xw                      ;
        bcc     :+                      ;
        inc     xw+1                    ;
:       dec     xcnt                    ;
        beq     @done                   ;
        jmp     @term                   ;
@done:  lda     xacc+4                  ; sign-extend 40 -> 64 bits
        ldx     #0                      ;
        cmp     #$80                    ;
        bcc     :+                      ;
        dex                             ;
:       stx     xacc+5                  ;
        stx     xacc+6                  ;
        stx     xacc+7                  ;
        ldy     #4                      ; dot
        lda     (sp),y                  ;
        sta     xm                      ;
        iny                             ;
        lda     (sp),y                  ;
        sta     xm+1                    ;
        ldy     #7                      ;
@st:    lda     xacc,y                  ;
        sta     (xm),y                  ;
        dey                             ;
        bpl     @st                     ;
        jmp     incsp6                  ;

; ----------------------------------------------------------------------------
; w_umul: for each non-zero byte a_i, the 40-bit row a_i * b (four byte products, xq0..xq0+4)
; is added into xacc at byte i

.macro  urow    i
        .local  @go, @skip, @c1, @c2, @c3, @cy, @nc
        lda     xa+i                    ; a_i
        bne     @go                     ;
        jmp     @skip                   ; 0: no row
@go:    mset                            ;
        ldy     xq0+4                   ; * b0
        mmul                            ;
        stx     xr                      ; row byte 0
        sta     xr+1                    ;
        ldy     xq0+5                   ; * b1
        mmul                            ;
        sta     xr+2                    ;
        txa                             ;
        clc                             ;
        adc     xr+1                    ;
        sta     xr+1                    ;
        bcc     @c1                     ;
        inc     xr+2                    ; (hi <= 254: no overflow)
@c1:    ldy     xq0+6                   ; * b2
        mmul                            ;
        sta     xr+3                    ;
        txa                             ;
        clc                             ;
        adc     xr+2                    ;
        sta     xr+2                    ;
        bcc     @c2                     ;
        inc     xr+3                    ;
@c2:    ldy     xq0+7                   ; * b3
        mmul                            ;
        sta     xr+4                    ;
        txa                             ;
        clc                             ;
        adc     xr+3                    ;
        sta     xr+3                    ;
        bcc     @c3                     ;
        inc     xr+4                    ;
@c3:    clc                             ; xacc[i..i+4] += row
        lda     xacc+i                  ;
        adc     xr                      ;
        sta     xacc+i                  ;
        lda     xacc+i+1                ;
        adc     xr+1                    ;
        sta     xacc+i+1                ;
        lda     xacc+i+2                ;
        adc     xr+2                    ;
        sta     xacc+i+2                ;
        lda     xacc+i+3                ;
        adc     xr+3                    ;
        sta     xacc+i+3                ;
        lda     xacc+i+4                ;
        adc     xr+4                    ;
        sta     xacc+i+4                ;
.if i < 3
        bcc     @nc                     ; carry upward (the product fits 64 bits)
        ldx     #i+5                    ;
@cy:    inc     xacc,x                  ;
        bne     @nc                     ;
        inx                             ;
        bne     @cy                     ;
.endif
@nc:
@skip:
.endmacro

_w_umul:
        sta     xq0+4                   ; b -> xq0+4..xq0+7
        stx     xq0+5                   ;
        lda     sreg                    ;
        sta     xq0+6                   ;
        lda     sreg+1                  ;
        sta     xq0+7                   ;
        ldy     #3                      ; a -> xa
@lda:   lda     (sp),y                  ;
        sta     xa,y                    ;
        dey                             ;
        bpl     @lda                    ;
        lda     #0                      ;
        ldx     #7                      ;
@clr:   sta     xacc,x                  ;
        dex                             ;
        bpl     @clr                    ;
        urow    0                       ;
        urow    1                       ;
        urow    2                       ;
        urow    3                       ;
        ldy     #4                      ; r
        lda     (sp),y                  ;
        sta     xm                      ;
        iny                             ;
        lda     (sp),y                  ;
        sta     xm+1                    ;
        ldy     #7                      ;
@st:    lda     xacc,y                  ;
        sta     (xm),y                  ;
        dey                             ;
        bpl     @st                     ;
        jmp     incsp6                  ;
