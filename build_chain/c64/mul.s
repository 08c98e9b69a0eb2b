;
; mul.s - unsigned 8x8 multiply by quarter squares, and the scalar primitives built on it
;
; a*b = sqr(a+b) - sqr(a-b), sqr(n) = n*n/4 (floor: a+b and a-b have the same parity). With
; pointers mp1..mp4 = tables + a (sqlo, sqhi) and tables + ~a (nsqlo, nsqhi), (mp),y reads
; sqr(a+y) and sqr(y-a): one multiplicand setup serves many products.
;
; C prototypes:
;   void mul_init(void);                                        tables; once, before the rest
;   int32_t __fastcall__ mul16s(int16_t a, int16_t b);          a*b
;   uint16_t __fastcall__ mulhi16(uint16_t a, uint16_t b);      (a*b + 2^15) >> 16
;   int32_t __fastcall__ rescale(int32_t acc, uint16_t f, uint8_t sh)
;                                   (acc*f + 2^(sh-1)) >> sh, floor, low 32 bits, 1 <= sh <= 47
;
; Contract (C callers):
;   mul16s   in: b A/X, a on the C stack   out: A/X/sreg       clobbers: A X Y, mr0-mr7
;   mulhi16  in: b A/X, a on the C stack   out: A/X            clobbers: A X Y, mr0-mr7
;   rescale  in: sh A; f, acc on the stack out: A/X/sreg       clobbers: A X Y, mr0-mr7, ra0-ra3
; Asm entries (dot8.s, att.s):
;   umul16   in: ra0/ra1, rf0/rf1       out: mr0-mr3 = ra*rf (u32)  clobbers: A X Y, ra2/ra3
;   mset     in: A = multiplicand a        out: mp1-mp4 set    clobbers: A
;   mmul     in: Y = b (after mset)        out: A = hi, X = lo of a*b    clobbers: A X
;   rescale_zp  in: ra0-ra3 = acc (s32), rf0/rf1 = f, rsh = sh
;               out: ra0-ra3 = result      clobbers: A X Y, mr0-mr7
;   rescale_tail  in: mr0-mr5 = |acc| * f (u48), rneg bit 7 = acc < 0, rsh = sh (1..47, not
;               checked)  out: ra0-ra3 = result    clobbers: A X Y, mr0-mr7, ra0-ra4
;
; Coupling: the tables are page-aligned in segment TOPBSS; mp1-mp4's high bytes are set by
; mul_init only, so nothing else may write them.
;
        .include "zeropage.inc"         ; sp, sreg

        .export _mul_init, _mul16s, _mulhi16, _rescale
        .export mset, mmul, rescale_zp, rescale_tail, umul16, rescale_trap
        .exportzp mp1, mp2, mp3, mp4, mr0, ra0, rf0, rsh, rneg

        .segment "ZEROPAGE"
mp1:    .res    2                       ; -> sqlo + a
mp2:    .res    2                       ; -> sqhi + a
mp3:    .res    2                       ; -> nsqlo + ~a
mp4:    .res    2                       ; -> nsqhi + ~a
mr0:    .res    8                       ; product bytes (48-bit product, 2 spare)
ra0:    .res    4                       ; rescale: acc in, result out
rf0:    .res    2                       ; rescale: f
rsh:    .res    1                       ; rescale: shift
rneg:   .res    1                       ; rescale: acc < 0

        .segment "TOPBSS"               ; starts on a page ($E000): .align holds
        .align  256
sqlo:   .res    512                     ; sqr(i) low,  i = 0..511
sqhi:   .res    512                     ; sqr(i) high
nsqlo:  .res    512                     ; sqr(|i-255|) low
nsqhi:  .res    512                     ; sqr(|i-255|) high

        .segment "CODE"

; ----------------------------------------------------------------------------
; mul_init: sqr(i+1) = sqr(i) + ((i+1) >> 1); nsq mirrors sq around 255

_mul_init:
        lda     #0                      ; sqr(0) = 0
        sta     mr0                     ; running value low
        sta     mr0+1                   ; running value high
        tax                             ; i = 0 (low byte)
@sq0:   lda     mr0                     ; first page: i = X
        sta     sqlo,x                  ;
        lda     mr0+1                   ;
        sta     sqhi,x                  ;
        inx                             ; i+1
        txa                             ; delta = (i+1) >> 1
        bne     @half                   ;
        sec                             ; i+1 = 256 (X wrapped): delta 128
        ror                             ; (A = $80)
        bne     @add                    ; (always)
@half:  lsr                             ;
@add:   clc                             ;
        adc     mr0                     ;
        sta     mr0                     ;
        bcc     :+                      ;
        inc     mr0+1                   ;
:       cpx     #0                      ;
        bne     @sq0                    ;
@sq1:   lda     mr0                     ; second page: i = 256 + X
        sta     sqlo+256,x              ;
        lda     mr0+1                   ;
        sta     sqhi+256,x              ;
        inx                             ;
        txa                             ; delta = (256 + X) >> 1 = 128 + X/2
        lsr                             ;
        ora     #$80                    ;
        clc                             ;
        adc     mr0                     ;
        sta     mr0                     ;
        bcc     :+                      ;
        inc     mr0+1                   ;
:       cpx     #0                      ;
        bne     @sq1                    ;
        ldx     #0                      ; nsq[i] = sq[255-i] for i <= 255
        ldy     #255                    ;
@ns0:   lda     sqlo,y                  ;
        sta     nsqlo,x                 ;
        lda     sqhi,y                  ;
        sta     nsqhi,x                 ;
        dey                             ;
        inx                             ;
        bne     @ns0                    ;
        ldx     #0                      ; nsq[256+i] = sq[i+1]
@ns1:   lda     sqlo+1,x                ;
        sta     nsqlo+256,x             ;
        lda     sqhi+1,x                ;
        sta     nsqhi+256,x             ;
        inx                             ;
        bne     @ns1                    ;
        lda     #>sqlo                  ; pointer pages, fixed from now on
        sta     mp1+1                   ;
        lda     #>sqhi                  ;
        sta     mp2+1                   ;
        lda     #>nsqlo                 ;
        sta     mp3+1                   ;
        lda     #>nsqhi                 ;
        sta     mp4+1                   ;
        rts                             ;

; ----------------------------------------------------------------------------
; mset: multiplicand A.  mmul: A:X = a * Y

mset:   sta     mp1                     ; sqlo + a
        sta     mp2                     ; sqhi + a
        eor     #$FF                    ;
        sta     mp3                     ; nsqlo + 255 - a
        sta     mp4                     ; nsqhi + 255 - a
        rts                             ;

mmul:   sec                             ;
        lda     (mp1),y                 ; sqr(a+b) low
        sbc     (mp3),y                 ; - sqr(b-a) low
        tax                             ;
        lda     (mp2),y                 ; high
        sbc     (mp4),y                 ;
        rts                             ;

; ----------------------------------------------------------------------------
; umul32x16: mr0..mr5 = ra0..ra3 (u32) * rf0..rf1 (u16)

umul32x16:
        lda     #0                      ; clear the product
        ldx     #5                      ;
@clr:   sta     mr0,x                   ;
        dex                             ;
        bpl     @clr                    ;
        lda     rf0                     ; multiplicand f low
        jsr     mset                    ;
        ldy     #0                      ; byte index of acc
@lo:    jsr     addpart                 ; mr[y..y+1] += f0 * ra[y]
        iny                             ;
        cpy     #4                      ;
        bne     @lo                     ;
        lda     rf0+1                   ; multiplicand f high
        jsr     mset                    ;
        ldy     #0                      ;
@hi:    jsr     addpart1                ; mr[y+1..y+2] += f1 * ra[y]
        iny                             ;
        cpy     #4                      ;
        bne     @hi                     ;
        rts                             ;

; addpart: mr[Y..] += a * ra[Y] (16-bit add, carry rippled).  addpart1: at mr[Y+1..].
addpart:
        sty     tmpy                    ;
        lda     ra0,y                   ; b
        beq     @done                   ; 0: nothing to add
        tay                             ;
        jsr     mmul                    ; A = hi, X = lo
        ldy     tmpy                    ;
        pha                             ;
        txa                             ;
        clc                             ;
        adc     mr0,y                   ;
        sta     mr0,y                   ;
        pla                             ;
        adc     mr0+1,y                 ;
        sta     mr0+1,y                 ;
        bcc     @done                   ;
@rip:   iny                             ; ripple the carry up
        lda     mr0+1,y                 ;
        adc     #0                      ;
        sta     mr0+1,y                 ;
        bcs     @rip                    ;
@done:  ldy     tmpy                    ;
        rts                             ;

addpart1:
        sty     tmpy                    ;
        lda     ra0,y                   ; b
        beq     @done                   ;
        tay                             ;
        jsr     mmul                    ;
        ldy     tmpy                    ;
        pha                             ;
        txa                             ;
        clc                             ;
        adc     mr0+1,y                 ;
        sta     mr0+1,y                 ;
        pla                             ;
        adc     mr0+2,y                 ;
        sta     mr0+2,y                 ;
        bcc     @done                   ;
@rip:   iny                             ;
        lda     mr0+2,y                 ;
        adc     #0                      ;
        sta     mr0+2,y                 ;
        bcs     @rip                    ;
@done:  ldy     tmpy                    ;
        rts                             ;

; ----------------------------------------------------------------------------
; rescale_zp: ra = (ra * rf + 2^(rsh-1)) >> rsh, arithmetic, low 32 bits

rescale_zp:
        lda     rsh                     ; shift out of 1..62: a caller's bug; stop
        beq     rescale_trap            ; here (label for the debugger), never
        cmp     #63                     ; corrupt the zero page
        bcs     rescale_trap            ;
        bcc     rescale_ok              ; (always)
rescale_trap:
        jmp     rescale_trap            ; (a checkpoint here names the caller)
rescale_ok:
        lda     ra0+3                   ; |acc|, remember the sign
        sta     rneg                    ;
        bpl     @pos                    ;
        ldx     #0                      ; negate ra (32-bit)
        ldy     #4                      ;
        sec                             ;
@ng:    lda     #0                      ;
        sbc     ra0,x                   ;
        sta     ra0,x                   ;
        inx                             ;
        dey                             ;
        bne     @ng                     ;
@pos:   jsr     umul32x16               ; mr0..mr5 = |acc| * f
rescale_tail:                           ; entry with mr0..mr5 = |acc| * f, rneg, rsh set
        lda     #0                      ; mr6, mr7 = 0: P = |acc| * f (u64)
        sta     mr0+6                   ;
        sta     mr0+7                   ;
        bit     rneg                    ; acc < 0: floor((-P + h) / 2^sh) = -((P + h - 1) >> sh),
        bpl     @round                  ; so P -= 1 first (mod 2^64: the sum below is >= 0)
        ldx     #0                      ;
@dec:   lda     mr0,x                   ;
        sec                             ;
        sbc     #1                      ;
        sta     mr0,x                   ;
        bcs     @round                  ; no borrow: done
        inx                             ;
        cpx     #8                      ;
        bne     @dec                    ;
@round: ldx     rsh                     ; + h = 2^(sh-1): bit (sh-1)&7 of byte (sh-1)>>3
        dex                             ;
        txa                             ;
        and     #7                      ;
        tay                             ;
        txa                             ;
        lsr                             ;
        lsr                             ;
        lsr                             ;
        tax                             ;
        lda     bitval,y                ;
        clc                             ;
        adc     mr0,x                   ;
        sta     mr0,x                   ;
        bcc     @shift                  ;
@rc:    inx                             ; ripple the carry (up to mr7)
        cpx     #8                      ;
        beq     @shift                  ;
        inc     mr0,x                   ;
        beq     @rc                     ; wrapped to 0: carry on

@shift: lda     rsh                     ; byte part: ra0-ra4 = mr[B..B+4], B = sh >> 3
        lsr                             ;
        lsr                             ;
        lsr                             ;
        tax                             ;
        cpx     #4                      ; B >= 4: bytes past mr7 read as 0
        bcs     @far                    ;
        lda     rsh                     ; sh & 7 >= 5: 8 - (sh & 7) left shifts instead
        and     #7                      ;
        cmp     #5                      ;
        bcs     @left                   ;
        lda     mr0,x                   ; B <= 3: all five inside mr0-mr7
        sta     ra0                     ;
        lda     mr0+1,x                 ;
        sta     ra0+1                   ;
        lda     mr0+2,x                 ;
        sta     ra0+2                   ;
        lda     mr0+3,x                 ;
        sta     ra0+3                   ;
        lda     mr0+4,x                 ;
        sta     ra0+4                   ;
        jmp     @bits                   ;
@far:   ldy     #0                      ;
@by:    cpx     #8                      ; past mr7: 0
        bcc     @in                     ;
        lda     #0                      ;
        beq     @st                     ; (always)
@in:    lda     mr0,x                   ;
@st:    sta     ra0,y                   ;
        inx                             ;
        iny                             ;
        cpy     #5                      ;
        bne     @by                     ;
@bits:  lda     rsh                     ; bit part: sh & 7 right shifts (the value is >= 0)
        and     #7                      ;
        beq     @sign                   ;
        tay                             ;
@bit:   lsr     ra0+4                   ;
        ror     ra0+3                   ;
        ror     ra0+2                   ;
        ror     ra0+1                   ;
        ror     ra0                     ;
        dey                             ;
        bne     @bit                    ;
@sign:  bit     rneg                    ; acc < 0: negate the 32-bit result
        bpl     @done                   ;
        sec                             ;
        lda     #0                      ;
        sbc     ra0                     ;
        sta     ra0                     ;
        lda     #0                      ;
        sbc     ra0+1                   ;
        sta     ra0+1                   ;
        lda     #0                      ;
        sbc     ra0+2                   ;
        sta     ra0+2                   ;
        lda     #0                      ;
        sbc     ra0+3                   ;
        sta     ra0+3                   ;
@done:  rts                             ;
@left:  eor     #7                      ; Y = 8 - k - 1 (k = sh & 7 in 5..7)
        tay                             ;
        lda     mr0+4,x                 ; A:ra0-ra3 = mr[B..B+4]
        sta     ra0+3                   ;
        lda     mr0+3,x                 ;
        sta     ra0+2                   ;
        lda     mr0+2,x                 ;
        sta     ra0+1                   ;
        lda     mr0+1,x                 ;
        sta     ra0                     ;
        lda     mr0,x                   ;
@lbit:  asl                             ; 40-bit A:ra0-ra3 << (8 - k): ra0-ra3 are
        rol     ra0                     ; mr[B..B+4] >> k, modulo 2^32
        rol     ra0+1                   ;
        rol     ra0+2                   ;
        rol     ra0+3                   ;
        dey                             ;
        bpl     @lbit                   ;
        jmp     @sign                   ;

; ----------------------------------------------------------------------------
; C entries

_rescale:
        sta     rsh                     ; sh
        ldy     #0                      ; f at sp+0..1
        lda     (sp),y                  ;
        sta     rf0                     ;
        iny                             ;
        lda     (sp),y                  ;
        sta     rf0+1                   ;
        iny                             ; acc at sp+2..5
        lda     (sp),y                  ;
        sta     ra0                     ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ra0+1                   ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ra0+2                   ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ra0+3                   ;
        jsr     rescale_zp              ;
        lda     sp                      ; pop 6 bytes
        clc                             ;
        adc     #6                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       lda     ra0+2                   ; result in A/X/sreg
        sta     sreg                    ;
        lda     ra0+3                   ;
        sta     sreg+1                  ;
        lda     ra0                     ;
        ldx     ra0+1                   ;
        rts                             ;

; umul16: mr0..mr3 = ra0..ra1 * rf0..rf1 (ra2, ra3 must be 0)
umul16: lda     #0                      ;
        sta     ra0+2                   ;
        sta     ra0+3                   ;
        jmp     umul32x16               ;

_mulhi16:
        sta     rf0                     ; b
        stx     rf0+1                   ;
        ldy     #0                      ; a from the stack
        lda     (sp),y                  ;
        sta     ra0                     ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ra0+1                   ;
        jsr     popa2                   ;
        jsr     umul16                  ;
        lda     mr0+1                   ; + 2^15
        clc                             ;
        adc     #$80                    ;
        lda     mr0+2                   ;
        adc     #0                      ;
        tay                             ;
        lda     mr0+3                   ;
        adc     #0                      ;
        tax                             ;
        tya                             ;
        rts                             ;

_mul16s:
        sta     rf0                     ; b
        stx     rf0+1                   ;
        ldy     #0                      ; a from the stack
        lda     (sp),y                  ;
        sta     ra0                     ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ra0+1                   ;
        jsr     popa2                   ;
        lda     ra0+1                   ; sign of the result
        eor     rf0+1                   ;
        sta     rneg                    ;
        bit     ra0+1                   ; |a|
        bpl     :+                      ;
        sec                             ;
        lda     #0                      ;
        sbc     ra0                     ;
        sta     ra0                     ;
        lda     #0                      ;
        sbc     ra0+1                   ;
        sta     ra0+1                   ;
:       bit     rf0+1                   ; |b|
        bpl     :+                      ;
        sec                             ;
        lda     #0                      ;
        sbc     rf0                     ;
        sta     rf0                     ;
        lda     #0                      ;
        sbc     rf0+1                   ;
        sta     rf0+1                   ;
:       jsr     umul16                  ;
        bit     rneg                    ;
        bpl     @ret                    ;
        ldx     #0                      ; negate the 32-bit product
        ldy     #4                      ;
        sec                             ;
@ng:    lda     #0                      ;
        sbc     mr0,x                   ;
        sta     mr0,x                   ;
        inx                             ;
        dey                             ;
        bne     @ng                     ;
@ret:   lda     mr0+2                   ;
        sta     sreg                    ;
        lda     mr0+3                   ;
        sta     sreg+1                  ;
        lda     mr0                     ;
        ldx     mr0+1                   ;
        rts                             ;

; popa2: drop 2 bytes from the C stack
popa2:  lda     sp                      ;
        clc                             ;
        adc     #2                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       rts                             ;

        .segment "RODATA"
bitval: .byte   1, 2, 4, 8, 16, 32, 64, 128 ; 1 << n

        .segment "BSS"
tmpy:   .res    1                       ; addpart's Y
