;
; ex64.s - the exact mode's 64-bit primitives in ca65 (overlay, segment EXCODE): the C64
; build of exact.h's w_* helpers, bitlen32 and rsr32. exwide.c holds the same functions in
; portable C for the host build (tests/c64/host) and is empty under cc65.
;
; C prototypes (exact.h; ex64_t = { uint32_t lo, hi }, little-endian, 8 bytes):
;   void    __fastcall__ w_set32(ex64_t* r, int32_t v);               r = v
;   void    __fastcall__ w_add(ex64_t* r, const ex64_t* a);           r += a
;   void    __fastcall__ w_sub(ex64_t* r, const ex64_t* a);           r -= a
;   void    __fastcall__ w_neg(ex64_t* r);                            r = -r
;   void    __fastcall__ w_smul(ex64_t* r, int32_t a, int32_t b);     r = a * b
;   void    __fastcall__ w_mulu32(ex64_t* r, uint32_t c);             r = r * c, |r*c| < 2^63
;   void    __fastcall__ w_rsr(ex64_t* r, int8_t sh);                 r = rsr(r, sh)
;   int32_t __fastcall__ w_sat32(const ex64_t* a);                    clamp to int32
;   uint8_t __fastcall__ w_bitlen_abs(const ex64_t* a);               bit length of |a|
;   int8_t  __fastcall__ w_cmp(const ex64_t* a, const ex64_t* b);     -1, 0, 1 (signed)
;   uint32_t __fastcall__ w_udiv(const ex64_t* n, uint32_t d);        n / d, n >= 0, n.hi < d
;   uint8_t __fastcall__ bitlen32(uint32_t v);
;   int32_t __fastcall__ rsr32(int32_t v, int8_t sh);                 rsr of an int32, sh <= 31
;
; Contract (C callers, cc65 fastcall; every routine pops its stacked arguments):
;   in:  rightmost argument in A (/X /sreg), the others on the C stack
;   out: as the prototype (8-bit results in A with X = sign extension, 32-bit in A/X/sreg)
;   clobbers: A X Y, ptr1, ptr2, sreg, wv-wv+7, wd-wd+3, wsg; w_smul and w_mulu32 also what
;             exkern.s's w_umul clobbers
;
; rsr(v, sh) for 1 <= sh <= 62 is computed as ((v >> (sh - 1)) + 1) >> 1 (arithmetic shifts),
; which equals (v + 2^(sh-1)) >> sh.
;
        .include "zeropage.inc"         ; sp, sreg, ptr1, ptr2

        .export _w_set32, _w_add, _w_sub, _w_neg, _w_smul, _w_mulu32, _w_rsr
        .export _w_sat32, _w_bitlen_abs, _w_cmp, _w_udiv, _bitlen32, _rsr32
        .import _w_umul, incsp2, incsp4, pushax, pusheax

        .segment "ZEROPAGE"
wv:     .res    8                       ; 64-bit work value
wd:     .res    4                       ; divisor / saved operand
wsg:    .res    1                       ; bit 7: negate the result
wsh:    .res    1                       ; shift count

        .segment "EXCODE"

; ----------------------------------------------------------------------------
; helpers: ptr1 = 16-bit argument at (sp),0; load / store wv through ptr1

argp1:  ldy     #0                      ; ptr1 = (sp),0..1
        lda     (sp),y                  ;
        sta     ptr1                    ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ptr1+1                  ;
        rts                             ;

ldwv:   ldy     #7                      ; wv = *ptr1
@l:     lda     (ptr1),y                ;
        sta     wv,y                    ;
        dey                             ;
        bpl     @l                      ;
        rts                             ;

stwv:   ldy     #7                      ; *ptr1 = wv
@l:     lda     wv,y                    ;
        sta     (ptr1),y                ;
        dey                             ;
        bpl     @l                      ;
        rts                             ;

negwv:  sec                             ; wv = -wv
        ldx     #0                      ;
        ldy     #8                      ;
@l:     lda     #0                      ;
        sbc     wv,x                    ;
        sta     wv,x                    ;
        inx                             ;
        dey                             ;
        bne     @l                      ;
        rts                             ;

; ----------------------------------------------------------------------------
; w_set32(r, v)

_w_set32:
        sta     wv                      ; v -> wv, sign-extended
        stx     wv+1                    ;
        lda     sreg                    ;
        sta     wv+2                    ;
        lda     sreg+1                  ;
        sta     wv+3                    ;
        ldx     #0                      ;
        asl                             ; sign -> C
        bcc     :+                      ;
        dex                             ;
:       stx     wv+4                    ;
        stx     wv+5                    ;
        stx     wv+6                    ;
        stx     wv+7                    ;
        jsr     argp1                   ; r
        jsr     stwv                    ;
        jmp     incsp2                  ;

; ----------------------------------------------------------------------------
; w_add(r, a), w_sub(r, a)

_w_add:
        sta     ptr2                    ; a
        stx     ptr2+1                  ;
        jsr     argp1                   ; r
        ldy     #0                      ;
        ldx     #8                      ;
        clc                             ;
@l:     lda     (ptr1),y                ;
        adc     (ptr2),y                ;
        sta     (ptr1),y                ;
        iny                             ;
        dex                             ;
        bne     @l                      ;
        jmp     incsp2                  ;

_w_sub:
        sta     ptr2                    ; a
        stx     ptr2+1                  ;
        jsr     argp1                   ; r
        ldy     #0                      ;
        ldx     #8                      ;
        sec                             ;
@l:     lda     (ptr1),y                ;
        sbc     (ptr2),y                ;
        sta     (ptr1),y                ;
        iny                             ;
        dex                             ;
        bne     @l                      ;
        jmp     incsp2                  ;

; ----------------------------------------------------------------------------
; w_neg(r)

_w_neg:
        sta     ptr1                    ; r
        stx     ptr1+1                  ;
        ldy     #0                      ;
        ldx     #8                      ;
        sec                             ;
@l:     lda     #0                      ;
        sbc     (ptr1),y                ;
        sta     (ptr1),y                ;
        iny                             ;
        dex                             ;
        bne     @l                      ;
        rts                             ;

; ----------------------------------------------------------------------------
; w_smul(r, a, b): |a| * |b| by w_umul, negated when the signs differ

_w_smul:
        sta     wd                      ; b
        stx     wd+1                    ;
        lda     sreg+1                  ;
        sta     wsg                     ; sign of b
        bpl     @bpos                   ;
        sec                             ; |b|
        lda     #0                      ;
        sbc     wd                      ;
        sta     wd                      ;
        lda     #0                      ;
        sbc     wd+1                    ;
        sta     wd+1                    ;
        lda     #0                      ;
        sbc     sreg                    ;
        sta     sreg                    ;
        lda     #0                      ;
        sbc     sreg+1                  ;
        sta     sreg+1                  ;
@bpos:  ldy     #4                      ; r, kept for the sign
        lda     (sp),y                  ;
        sta     ptr2                    ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ptr2+1                  ;
        ldy     #3                      ; a on the stack
        lda     (sp),y                  ;
        bpl     @apos                   ;
        eor     wsg                     ; sign of the product
        sta     wsg                     ;
        sec                             ; |a| in place
        ldy     #0                      ;
        ldx     #4                      ;
@na:    lda     #0                      ;
        sbc     (sp),y                  ;
        sta     (sp),y                  ;
        iny                             ;
        dex                             ;
        bne     @na                     ;
@apos:  lda     ptr2                    ; w_umul may use ptr2: keep r in wv
        sta     wv                      ;
        lda     ptr2+1                  ;
        sta     wv+1                    ;
        lda     wd                      ;
        ldx     wd+1                    ;
        jsr     _w_umul                 ; *r = |a| * |b|, pops a, r
        bit     wsg                     ;
        bpl     @done                   ;
        lda     wv                      ;
        ldx     wv+1                    ;
        jmp     _w_neg                  ;
@done:  rts                             ;

; ----------------------------------------------------------------------------
; w_mulu32(r, c): |r| = H:L; r = L*c + (H*c mod 2^32) << 32, sign restored

_w_mulu32:
        sta     wd                      ; c
        stx     wd+1                    ;
        lda     sreg                    ;
        sta     wd+2                    ;
        lda     sreg+1                  ;
        sta     wd+3                    ;
        jsr     argp1                   ; r (stays on the stack for w_umul)
        lda     ptr1                    ;
        sta     wrp                     ;
        lda     ptr1+1                  ;
        sta     wrp+1                   ;
        jsr     ldwv                    ;
        lda     wv+7                    ;
        sta     wsg                     ;
        bpl     :+                      ;
        jsr     negwv                   ; wv = |r|; wv+4..7 = H survives w_umul
:       lda     wv+2                    ; L -> stack
        sta     sreg                    ;
        lda     wv+3                    ;
        sta     sreg+1                  ;
        lda     wv                      ;
        ldx     wv+1                    ;
        jsr     pusheax                 ;
        jsr     ldc                     ;
        jsr     _w_umul                 ; *r = L * c (pops L, r)
        lda     wv+4                    ;
        ora     wv+5                    ;
        ora     wv+6                    ;
        ora     wv+7                    ;
        beq     @sign                   ; H = 0: done
        lda     #<hc                    ; hc = H * c
        ldx     #>hc                    ;
        jsr     pushax                  ;
        lda     wv+6                    ;
        sta     sreg                    ;
        lda     wv+7                    ;
        sta     sreg+1                  ;
        lda     wv+4                    ;
        ldx     wv+5                    ;
        jsr     pusheax                 ;
        jsr     ldc                     ;
        jsr     _w_umul                 ;
        jsr     ldr                     ; r.hi += low 32 bits of hc
        clc                             ;
        ldy     #4                      ;
        lda     (ptr1),y                ;
        adc     hc                      ;
        sta     (ptr1),y                ;
        iny                             ;
        lda     (ptr1),y                ;
        adc     hc+1                    ;
        sta     (ptr1),y                ;
        iny                             ;
        lda     (ptr1),y                ;
        adc     hc+2                    ;
        sta     (ptr1),y                ;
        iny                             ;
        lda     (ptr1),y                ;
        adc     hc+3                    ;
        sta     (ptr1),y                ;
@sign:  bit     wsg                     ;
        bpl     @done                   ;
        lda     wrp                     ;
        ldx     wrp+1                   ;
        jmp     _w_neg                  ;
@done:  rts                             ;

ldc:    lda     wd+2                    ; A/X/sreg = c
        sta     sreg                    ;
        lda     wd+3                    ;
        sta     sreg+1                  ;
        lda     wd                      ;
        ldx     wd+1                    ;
        rts                             ;

ldr:    lda     wrp                     ; ptr1 = r (saved in wrp)
        sta     ptr1                    ;
        lda     wrp+1                   ;
        sta     ptr1+1                  ;
        rts                             ;

; ----------------------------------------------------------------------------
; w_rsr(r, sh)

_w_rsr:
        sta     wsh                     ; sh
        jsr     argp1                   ; r
        jsr     incsp2                  ;
        jsr     ldwv                    ;
        jsr     rsrwv                   ;
        jmp     stwv                    ;

; rsrwv: wv = rsr(wv, wsh) (wsh int8)
rsrwv:  lda     wsh                     ;
        beq     @ret                    ; 0: unchanged
        bmi     @left                   ;
        cmp     #63                     ;
        bcc     @right                  ;
        lda     #0                      ; >= 63: 0
        ldx     #7                      ;
@z:     sta     wv,x                    ;
        dex                             ;
        bpl     @z                      ;
@ret:   rts                             ;
@right: sec                             ; n = sh - 1
        sbc     #1                      ;
        pha                             ;
        lsr                             ; whole bytes: n >> 3
        lsr                             ;
        lsr                             ;
        beq     @bits                   ;
        tay                             ; Y = bytes to drop
        ldx     #0                      ;
@mv:    lda     wv,y                    ; wv[x] = wv[x + bytes]
        sta     wv,x                    ;
        inx                             ;
        iny                             ;
        cpy     #8                      ;
        bne     @mv                     ;
        lda     wv+7                    ; fill with the sign
        asl                             ;
        lda     #0                      ;
        bcc     @fill                   ;
        lda     #$FF                    ;
@fill:  cpx     #8                      ; (wv+7 already moved down; refill from x)
        beq     @bits                   ;
        sta     wv,x                    ;
        inx                             ;
        bne     @fill                   ;
@bits:  pla                             ; n & 7 single-bit arithmetic shifts
        and     #7                      ;
        tax                             ;
        beq     @plus1                  ;
@b1:    lda     wv+7                    ;
        cmp     #$80                    ; sign -> C
        ror     wv+7                    ;
        ror     wv+6                    ;
        ror     wv+5                    ;
        ror     wv+4                    ;
        ror     wv+3                    ;
        ror     wv+2                    ;
        ror     wv+1                    ;
        ror     wv                      ;
        dex                             ;
        bne     @b1                     ;
@plus1: inc     wv                      ; + 1
        bne     @half                   ;
        ldx     #1                      ;
@inc:   inc     wv,x                    ;
        bne     @half                   ;
        inx                             ;
        cpx     #8                      ;
        bne     @inc                    ;
@half:  lda     wv+7                    ; >> 1
        cmp     #$80                    ;
        ror     wv+7                    ;
        ror     wv+6                    ;
        ror     wv+5                    ;
        ror     wv+4                    ;
        ror     wv+3                    ;
        ror     wv+2                    ;
        ror     wv+1                    ;
        ror     wv                      ;
        rts                             ;
@left:  eor     #$FF                    ; n = -sh
        clc                             ;
        adc     #1                      ;
        tax                             ;
@l1:    asl     wv                      ; (at most 62 single shifts: rare path)
        rol     wv+1                    ;
        rol     wv+2                    ;
        rol     wv+3                    ;
        rol     wv+4                    ;
        rol     wv+5                    ;
        rol     wv+6                    ;
        rol     wv+7                    ;
        dex                             ;
        bne     @l1                     ;
        rts                             ;

; ----------------------------------------------------------------------------
; w_sat32(a) -> int32

_w_sat32:
        sta     ptr1                    ; a
        stx     ptr1+1                  ;
        jsr     ldwv                    ;
        lda     wv+3                    ; bits 31..63 all equal?
        and     #$80                    ;
        beq     @p                      ;
        lda     #$FF                    ;
@p:     ldx     #4                      ;
@c:     cmp     wv,x                    ;
        bne     @sat                    ;
        inx                             ;
        cpx     #8                      ;
        bne     @c                      ;
        lda     wv+2                    ; fits: the low 32 bits
        sta     sreg                    ;
        lda     wv+3                    ;
        sta     sreg+1                  ;
        lda     wv                      ;
        ldx     wv+1                    ;
        rts                             ;
@sat:   lda     wv+7                    ;
        bmi     @min                    ;
        lda     #$7F                    ; 2^31 - 1
        sta     sreg+1                  ;
        lda     #$FF                    ;
        sta     sreg                    ;
        tax                             ;
        rts                             ;
@min:   lda     #$80                    ; -2^31
        sta     sreg+1                  ;
        lda     #0                      ;
        sta     sreg                    ;
        tax                             ;
        rts                             ;

; ----------------------------------------------------------------------------
; w_bitlen_abs(a), bitlen32(v)

_w_bitlen_abs:
        sta     ptr1                    ; a
        stx     ptr1+1                  ;
        jsr     ldwv                    ;
        lda     wv+7                    ;
        bpl     blwv                    ;
        jsr     negwv                   ;
blwv:   ldx     #7                      ; highest non-zero byte
@hb:    lda     wv,x                    ;
        bne     @bits                   ;
        dex                             ;
        bpl     @hb                     ;
        lda     #0                      ; |a| = 0
        tax                             ;
        rts                             ;
@bits:  ldy     #0                      ; Y = bit length of A
@bl:    iny                             ;
        lsr                             ;
        bne     @bl                     ;
        txa                             ; 8 * byte + Y
        asl                             ;
        asl                             ;
        asl                             ;
        sta     wsh                     ;
        tya                             ;
        clc                             ;
        adc     wsh                     ;
        ldx     #0                      ;
        rts                             ;

_bitlen32:
        sta     wv                      ; v
        stx     wv+1                    ;
        lda     sreg                    ;
        sta     wv+2                    ;
        lda     sreg+1                  ;
        sta     wv+3                    ;
        lda     #0                      ;
        sta     wv+4                    ;
        sta     wv+5                    ;
        sta     wv+6                    ;
        sta     wv+7                    ;
        jmp     blwv                    ;

; ----------------------------------------------------------------------------
; w_cmp(a, b): signed

_w_cmp:
        sta     ptr2                    ; b
        stx     ptr2+1                  ;
        jsr     argp1                   ; a
        jsr     incsp2                  ;
        ldy     #7                      ; top bytes: signed
        lda     (ptr1),y                ;
        eor     #$80                    ;
        sta     wsh                     ;
        lda     (ptr2),y                ;
        eor     #$80                    ;
        cmp     wsh                     ; b' vs a'
        bne     @ne                     ;
@lo:    dey                             ; lower bytes: unsigned
        bmi     @eq                     ;
        lda     (ptr2),y                ;
        cmp     (ptr1),y                ;
        beq     @lo                     ;
@ne:    bcc     @gt                     ; b < a
        lda     #$FF                    ; a < b: -1
        tax                             ;
        rts                             ;
@gt:    lda     #1                      ;
        ldx     #0                      ;
        rts                             ;
@eq:    lda     #0                      ;
        tax                             ;
        rts                             ;

; ----------------------------------------------------------------------------
; w_udiv(n, d): restoring division, 32 quotient bits shifted into wv's low half

_w_udiv:
        sta     wd                      ; d
        stx     wd+1                    ;
        lda     sreg                    ;
        sta     wd+2                    ;
        lda     sreg+1                  ;
        sta     wd+3                    ;
        jsr     argp1                   ; n
        jsr     incsp2                  ;
        jsr     ldwv                    ; wv+4..7 = rem, wv..wv+3 = low bits / quotient
        ldx     #32                     ;
@bit:   asl     wv                      ; (rem:lo) <<= 1
        rol     wv+1                    ;
        rol     wv+2                    ;
        rol     wv+3                    ;
        rol     wv+4                    ;
        rol     wv+5                    ;
        rol     wv+6                    ;
        rol     wv+7                    ;
        bcs     @sub                    ; bit 32 of rem set: rem >= d
        lda     wv+7                    ; rem >= d ?
        cmp     wd+3                    ;
        bcc     @next                   ;
        bne     @sub                    ;
        lda     wv+6                    ;
        cmp     wd+2                    ;
        bcc     @next                   ;
        bne     @sub                    ;
        lda     wv+5                    ;
        cmp     wd+1                    ;
        bcc     @next                   ;
        bne     @sub                    ;
        lda     wv+4                    ;
        cmp     wd                      ;
        bcc     @next                   ;
@sub:   lda     wv+4                    ; rem -= d (mod 2^32)
        sec                             ;
        sbc     wd                      ;
        sta     wv+4                    ;
        lda     wv+5                    ;
        sbc     wd+1                    ;
        sta     wv+5                    ;
        lda     wv+6                    ;
        sbc     wd+2                    ;
        sta     wv+6                    ;
        lda     wv+7                    ;
        sbc     wd+3                    ;
        sta     wv+7                    ;
        inc     wv                      ; quotient bit
@next:  dex                             ;
        bne     @bit                    ;
        lda     wv+2                    ;
        sta     sreg                    ;
        lda     wv+3                    ;
        sta     sreg+1                  ;
        lda     wv                      ;
        ldx     wv+1                    ;
        rts                             ;

; ----------------------------------------------------------------------------
; rsr32(v, sh)

_rsr32:
        sta     wsh                     ; sh
        ldy     #3                      ; v from the stack, sign-extended to 64 bits
@ld:    lda     (sp),y                  ;
        sta     wv,y                    ;
        dey                             ;
        bpl     @ld                     ;
        ldx     #0                      ;
        lda     wv+3                    ;
        bpl     :+                      ;
        dex                             ;
:       stx     wv+4                    ;
        stx     wv+5                    ;
        stx     wv+6                    ;
        stx     wv+7                    ;
        jsr     rsrwv                   ;
        lda     wv+2                    ;
        sta     sreg                    ;
        lda     wv+3                    ;
        sta     sreg+1                  ;
        lda     wv                      ;
        ldx     wv+1                    ;
        jmp     incsp4                  ;

        .segment "EXBSS"
hc:     .res    8                       ; H * c in w_mulu32
wrp:    .res    2                       ; r in w_mulu32
