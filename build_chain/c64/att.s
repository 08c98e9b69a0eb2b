;
; att.s - the attention inner loops: weights p_t from the scores and sums acc += p_t v_t
;                                                                              [attention]
; (The scores k_t . q are dot8.s matvec_kdots.) Value sums multiply int16 cache rows by the
; 8-bit p_t with mul.s's quarter squares: p_t is the multiplicand (mset), and a signed 16-bit
; v = (hi, lo) gives v*p = lo*p + (hi_u*p << 8) - (hi < 0 ? p << 16 : 0); hi = 0 and hi = -1
; (most cache values) need the one product lo*p. Rows with p_t = 0 are skipped. The sums
; acc[i] stay in att.s (att_acc) from the head's first att_values to its att_out.
;
; C prototypes (maths.h):
;   void __fastcall__ att_values(const int16_t* v, const uint8_t* p, uint16_t n);
;                     acc[i] += sum p[t] v[t][i] (wrapping s32), i < att_hs, t < n
;   uint16_t __fastcall__ att_recip(uint16_t d);      min(65535, 2^31 // d) for 2^15 <= d < 2^16
;   void __fastcall__ att_out(int16_t* dst, uint8_t n);
;                     dst[i] = sat16(rescale(acc[i], att_inv, att_ish)), then acc[i] = 0, i < n
;   extern uint16_t att_inv; extern uint8_t att_ish;
;   extern uint8_t att_acc[64];   acc[i]: bytes 0, 1 at [2i], [2i+1], bytes 2, 3 at [32 + 2i],
;                                 [33 + 2i] (zero at start, as BSS; the sim harness reads it)
;   void __fastcall__ att_weights(uint8_t* p, const int32_t* s, uint16_t n);
;                     p as below; sets att_inv, att_ish for att_out from T = sum p
;   extern int32_t att_best;                  max s[0..n) (the caller's: matvec_kdots's mv_kmax)
;   extern uint8_t att_hs;                                       head size (1..16), set once
;   extern const uint8_t* att_exp8; extern uint8_t att_zc;     EXP8, min(255, first 0 of EXP8)
;   extern uint16_t att_f; extern uint8_t att_sh;              per head: f = mulhi16(ATT_M, Sq)
;
; att_weights: best = max s (att_best, given), then p_t = EXP8[min(255, rescale(best - s_t, f, sh))]; from
; T = sum p (< 2^17): N = T >> 1, ish = 32 when T >= 2^16, else N = T << k (2^15 <= N < 2^16),
; ish = 31 - k, and inv = att_recip(N) (T = 0: inv = 0, ish = 31). idx >= zc <=> d = best - s_t >= D0 = ceil((2 zc - 1) 2^(sh-1) / f), found
; once per call by long division; then p_t = EXP8[255] (0 unless EXP8 has no zero) without a
; multiply. Otherwise idx = (d f + 2^(sh-1)) >> sh < zc: d f by quarter squares (f lo in
; mp1-mp4, f hi in fp1-fp4; byte k of d adds at mr k..k+2, a zero byte costs one store),
; rounded; bytes sh>>3, +1 shifted right sh&7 bits, or left 8 - sh&7 for sh&7 >= 5.
;
; Contract:
;   att_values  in: n A/X; p, v on the C stack (popped)          out: att_acc updated
;   att_recip   in: d A/X   out: A/X        clobbers: A X Y, ptr1, tmp1-tmp4 (16 shift-subtract steps)
;   att_out     in: n A (1..16); dst on the C stack (popped); att_inv, att_ish (1..47)
;               out: dst[0..n), att_acc zero   clobbers: A X Y, ptr2, tmp1, tmp2, mul.s
;               rescale_zp's zero page
;   att_weights in: n A/X (>= 1); s, p on the C stack (popped); att_best = max s, att_exp8,
;               att_zc, att_f, att_sh (1..47)                   out: p[0..n), att_inv, att_ish
;   all clobber: A X Y, ptr1-ptr3, tmp1-tmp4, mul.s mp1-mp4 low bytes and mr0-mr7 (weights),
;   the zero page above; att_values patches its own loads
;   v rows are att_hs int16 each, back to back (the KV chunk buffer).
;
; Coupling: mul.s's tables (mul_init first). Cycles: att_values about 80 per multiply-add
; (hi = 0), 85 (hi = -1), 150 (other hi), plus about 70 per row (40 when p = 0).
;
        .include "zeropage.inc"         ; sp, sreg, ptr1-ptr3, tmp1-tmp3
        .include "qsq.inc"              ; MSET, PROD

        .export _att_values, _att_weights, _att_hs, _att_acc, _att_recip, _att_out, _att_inv, _att_ish
        .export _att_exp8, _att_zc, _att_f, _att_sh, _att_best
        .importzp mp1, mp2, mp3, mp4, mr0, ra0, rf0, rsh
        .import rescale_zp

        .segment "ZEROPAGE"
acnt:   .res    2                       ; rows left
am:     .res    1                       ; the factor m
at0:    .res    1                       ; low byte of a product
ahi:    .res    1                       ; v hi
fp1:    .res    2                       ; -> sqlo + f hi  (mp1-mp4 hold f lo)
fp2:    .res    2                       ; -> sqhi + f hi
fp3:    .res    2                       ; -> nsqlo + ~f hi
fp4:    .res    2                       ; -> nsqhi + ~f hi
wbest:  .res    4                       ; max s
wd:     .res    4                       ; d = best - s_t
wd0:    .res    4                       ; D0: d >= D0 gives idx >= zc
wtot:   .res    3                       ; sum p
wexp:   .res    2                       ; -> EXP8

        .segment "BSS"
_att_hs:        .res 1                  ; head size
_att_inv:       .res 2                  ; att_out's factor
_att_ish:       .res 1                  ; att_out's shift
arow:   .res    1                       ; bytes per row (2 hs)
_att_acc:                               ; the sums acc[i] (att_values, att_out):
vlo:    .res    32                      ; bytes 0, 1 of acc[i] at 2i
vhi:    .res    32                      ; bytes 2, 3 of acc[i] at 2i
_att_exp8:      .res 2                  ; -> EXP8 (256 bytes)
_att_zc:        .res 1                  ; min(255, first index from which EXP8 is 0)
_att_f:         .res 2                  ; f
_att_sh:        .res 1                  ; sh
_att_best:      .res 4                  ; max s (the caller's)
wp0:    .res    1                       ; EXP8[255]: p of d >= D0
whb:    .res    1                       ; byte of the rounding bit 2^(sh-1)
whv:    .res    1                       ; its value
wsb:    .res    1                       ; sh >> 3
wsr:    .res    1                       ; sh & 7, or sh & 7 - 8 when >= 5 (shift left)
wlo:    .res    1                       ; idx before the bit shift (low)

        .segment "CODE"

; args: -n A/X -> acnt (rows counted up to 0); from the C stack: sp+0 -> ptr3 (p), sp+2 ->
; ptr2 (v); pop 4
args:   eor     #$FF                    ; -n = ~n + 1
        sta     acnt                    ;
        txa                             ;
        eor     #$FF                    ;
        sta     acnt+1                  ;
        inc     acnt                    ;
        bne     :+                      ;
        inc     acnt+1                  ;
:
        ldy     #3                      ;
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
        adc     #4                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       lda     _att_hs                 ;
        asl                             ;
        sta     arow                    ;
        rts                             ;


; ----------------------------------------------------------------------------
; att_recip: q = 2^31 // d bit by bit: R (ptr1, 17 bits with C) starts at 2^15 = the
; dividend's top half; d = 2^15 gives 2^16, clamped to 65535

_att_recip:
        sta     tmp1                    ; d
        stx     tmp2                    ;
        cpx     #$80                    ; d = $8000: 65535
        bne     :+                      ;
        cmp     #0                      ;
        bne     :+                      ;
        lda     #$FF                    ;
        tax                             ;
        rts                             ;
:       lda     #0                      ; R = $8000, q = 0
        sta     ptr1                    ;
        sta     tmp3                    ;
        sta     tmp4                    ;
        lda     #$80                    ;
        sta     ptr1+1                  ;
        ldy     #16                     ;
@step:  asl     tmp3                    ; q <<= 1
        rol     tmp4                    ;
        asl     ptr1                    ; R <<= 1 (C = bit 16)
        rol     ptr1+1                  ;
        bcs     @sub                    ;
        lda     ptr1+1                  ; R >= d?
        cmp     tmp2                    ;
        bcc     @next                   ;
        bne     @sub                    ;
        lda     ptr1                    ;
        cmp     tmp1                    ;
        bcc     @next                   ;
@sub:   lda     ptr1                    ; R -= d, q |= 1
        sec                             ;
        sbc     tmp1                    ;
        sta     ptr1                    ;
        lda     ptr1+1                  ;
        sbc     tmp2                    ;
        sta     ptr1+1                  ;
        inc     tmp3                    ;
@next:  dey                             ;
        bne     @step                   ;
        lda     tmp3                    ;
        ldx     tmp4                    ;
        rts                             ;

; ----------------------------------------------------------------------------
; att_out: ptr2 = dst, tmp1 = 2n, X = 2i; ra0-ra3 = rescale_zp(acc[i]) (acc[i] then zeroed),
; then sat16: it fits when bytes 3, 2 extend byte 1's sign and it is not -32768

_att_out:
        asl                             ; 2n
        sta     tmp1                    ;
        ldy     #1                      ; dst (sp+0) -> ptr2
        lda     (sp),y                  ;
        sta     ptr2+1                  ;
        dey                             ;
        lda     (sp),y                  ;
        sta     ptr2                    ;
        lda     sp                      ; pop 2
        clc                             ;
        adc     #2                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       ldx     #0                      ; 2i
@el:    stx     tmp2                    ;
        lda     #0                      ; ra = acc[i], acc[i] = 0
        ldy     vlo,x                   ;
        sty     ra0                     ;
        sta     vlo,x                   ;
        ldy     vlo+1,x                 ;
        sty     ra0+1                   ;
        sta     vlo+1,x                 ;
        ldy     vhi,x                   ;
        sty     ra0+2                   ;
        sta     vhi,x                   ;
        ldy     vhi+1,x                 ;
        sty     ra0+3                   ;
        sta     vhi+1,x                 ;
        lda     _att_inv                ;
        sta     rf0                     ;
        lda     _att_inv+1              ;
        sta     rf0+1                   ;
        lda     _att_ish                ;
        sta     rsh                     ;
        jsr     rescale_zp              ;
        ldx     ra0+1                   ; sat16
        bmi     @neg                    ;
        lda     ra0+2                   ; >= 0 (bit 15 clear): bytes 3, 2 must be 0
        ora     ra0+3                   ;
        beq     @fits                   ;
        bne     @clamp                  ; (always)
@neg:   lda     ra0+2                   ; bit 15 set: bytes 3, 2 must be $FF ...
        and     ra0+3                   ;
        cmp     #$FF                    ;
        bne     @clamp                  ;
        cpx     #$80                    ; ... and not -32768
        bne     @fits                   ;
        lda     ra0                     ;
        bne     @fits                   ;
@clamp: ldx     #$7F                    ; 32767, or -32767 for a negative value
        lda     #$FF                    ;
        bit     ra0+3                   ;
        bpl     @fits2                  ;
        ldx     #$80                    ;
        lda     #$01                    ;
        bne     @fits2                  ; (always)
@fits:  lda     ra0                     ;
@fits2: ldy     tmp2                    ; dst[i] = A (low), X (high)
        sta     (ptr2),y                ;
        iny                             ;
        txa                             ;
        sta     (ptr2),y                ;
        iny                             ; next
        tya                             ;
        tax                             ;
        cpx     tmp1                    ;
        bne     @el                     ;
        rts                             ;

; ----------------------------------------------------------------------------
; att_values: ptr2 = v row, ptr3 = p; X = 2i walks the columns (acc[i] in vlo[2i..2i+1], bytes
; 0, 1, and vhi[2i..2i+1], bytes 2, 3); the row's address is patched into the column loop's
; loads (abs,x), so Y is free to index the product tables.

; VPROD: at0 = low byte, A = high byte of lo * p (Y = lo); C = 1 after (a product >= 0)
.macro  VPROD
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     at0                     ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
.endmacro

_att_values:
        jsr     args                    ;
        lda     acnt                    ; n = 0: nothing
        ora     acnt+1                  ;
        bne     @row                    ;
        jmp     @out                    ;
@row:   ldy     #0                      ; m = p_t
        lda     (ptr3),y                ;
        bne     @nz                     ; p = 0: nothing to add
        jmp     @skip                   ;
@nz:    sta     am                      ;
        MSET                            ;
        lda     ptr2                    ; the row's address into the loads
        sta     @vl+1                   ;
        clc                             ;
        adc     #1                      ;
        sta     @vh+1                   ;
        lda     ptr2+1                  ;
        sta     @vl+2                   ;
        adc     #0                      ;
        sta     @vh+2                   ;
        ldx     #0                      ; 2i
@col:
@vl:    ldy     $FFFF,x                 ; lo (address patched)
@vh:    lda     $FFFF,x                 ; hi (address patched)
        bne     @hn                     ;
        VPROD                           ; hi = 0: acc += lo * p
        tay                             ;
        lda     at0                     ;
        clc                             ;
        adc     vlo,x                   ;
        sta     vlo,x                   ;
        tya                             ;
        adc     vlo+1,x                 ;
        sta     vlo+1,x                 ;
        bcc     @next                   ;
        inc     vhi,x                   ;
        bne     @next                   ;
        inc     vhi+1,x                 ;
@next:  inx                             ;
        inx                             ;
        cpx     arow                    ;
        bne     @col                    ;
        jmp     @skip                   ;
@hn:    cmp     #$FF                    ;
        bne     @hg                     ;
        VPROD                           ; hi = -1: acc += lo * p - (p << 8) (< 0)
        sbc     am                      ; (C = 1; borrows: lo * p < p << 8)
        tay                             ;
        lda     at0                     ;
        clc                             ;
        adc     vlo,x                   ;
        sta     vlo,x                   ;
        tya                             ;
        adc     vlo+1,x                 ;
        sta     vlo+1,x                 ;
        bcs     @next                   ; sign extension $FFFF + carry
        lda     vhi,x                   ;
        bne     :+                      ;
        dec     vhi+1,x                 ;
:       dec     vhi,x                   ;
        jmp     @next                   ;
@hg:    sta     ahi                     ; any hi: lo * p + (hi_u * p << 8) - (hi < 0 ? p << 16 : 0)
        VPROD                           ;
        tay                             ;
        lda     at0                     ;
        clc                             ;
        adc     vlo,x                   ;
        sta     vlo,x                   ;
        tya                             ;
        adc     vlo+1,x                 ;
        sta     vlo+1,x                 ;
        bcc     :+                      ;
        inc     vhi,x                   ;
        bne     :+                      ;
        inc     vhi+1,x                 ;
:       ldy     ahi                     ; + hi_u * p << 8
        VPROD                           ;
        tay                             ;
        lda     at0                     ;
        clc                             ;
        adc     vlo+1,x                 ;
        sta     vlo+1,x                 ;
        tya                             ;
        adc     vhi,x                   ;
        sta     vhi,x                   ;
        bcc     :+                      ;
        inc     vhi+1,x                 ;
:       bit     ahi                     ; hi < 0: - p << 16
        bpl     @hx                     ;
        lda     vhi,x                   ;
        sec                             ;
        sbc     am                      ;
        sta     vhi,x                   ;
        bcs     @hx                     ;
        dec     vhi+1,x                 ;
@hx:    jmp     @next                   ;
@skip:  inc     ptr3                    ; next p (rows of p = 0 loop here)
        bne     :+                      ;
        inc     ptr3+1                  ;
:       lda     ptr2                    ; next row: v += 2 hs
        clc                             ;
        adc     arow                    ;
        sta     ptr2                    ;
        bcc     :+                      ;
        inc     ptr2+1                  ;
:       inc     acnt                    ; -(rows left) += 1
        bne     :+                      ;
        inc     acnt+1                  ;
        beq     @out                    ;
:       ldy     #0                      ; p = 0: skip on
        lda     (ptr3),y                ;
        beq     @skip                   ;
        jmp     @nz                     ;
@out:   rts                             ;

; BYTEK k: mr[k..k+2] = mr[k..k+1] + d_k * f (mr[k+2] new), d_k = wd+k; clobbers A X Y
.macro  BYTEK   k
        ldy     wd+k                    ;
        beq     :+                      ; (zero)
        PROD    mp1, mp2, mp3, mp4      ; d_k * f lo at k, k+1 (carry into k+2)
        tay                             ;
        txa                             ;
        clc                             ;
        adc     mr0+k                   ;
        sta     mr0+k                   ;
        tya                             ;
        adc     mr0+k+1                 ;
        sta     mr0+k+1                 ;
        lda     #0                      ;
        rol                             ;
        sta     mr0+k+2                 ;
        ldy     wd+k                    ; d_k * f hi at k+1, k+2
        PROD    fp1, fp2, fp3, fp4      ;
        tay                             ;
        txa                             ;
        clc                             ;
        adc     mr0+k+1                 ;
        sta     mr0+k+1                 ;
        tya                             ;
        adc     mr0+k+2                 ;
        sta     mr0+k+2                 ;
        jmp     :++                     ; (done)
:       sty     mr0+k+2                 ; (Y = 0)
:
.endmacro

; ----------------------------------------------------------------------------
; att_weights: ptr1 = p, ptr2 = s

_att_weights:
        sta     acnt                    ; n
        stx     acnt+1                  ;
        ldy     #3                      ; p at sp+2, s at sp+0
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
        lda     sp                      ; pop 4
        clc                             ;
        adc     #4                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;

; ---- best = att_best (the caller's max s: matvec_kdots's mv_kmax) -------------
:       ldy     #3                      ;
@b0:    lda     _att_best,y             ;
        sta     wbest,y                 ;
        dey                             ;
        bpl     @b0                     ;
@setup: lda     _att_f                  ; f lo -> mp1-mp4
        sta     mp1                     ;
        sta     mp2                     ;
        eor     #$FF                    ;
        sta     mp3                     ;
        sta     mp4                     ;
        lda     _att_f+1                ; f hi -> fp1-fp4
        sta     fp1                     ;
        sta     fp2                     ;
        eor     #$FF                    ;
        sta     fp3                     ;
        sta     fp4                     ;
        lda     mp1+1                   ; table pages as mul_init set them
        sta     fp1+1                   ;
        lda     mp2+1                   ;
        sta     fp2+1                   ;
        lda     mp3+1                   ;
        sta     fp3+1                   ;
        lda     mp4+1                   ;
        sta     fp4+1                   ;
        lda     _att_exp8               ; EXP8 pointer, EXP8[255]
        sta     wexp                    ;
        lda     _att_exp8+1             ;
        sta     wexp+1                  ;
        ldy     #255                    ;
        lda     (wexp),y                ;
        sta     wp0                     ;
        ldx     _att_sh                 ; rounding bit sh-1: byte, value
        dex                             ;
        txa                             ;
        and     #7                      ;
        tay                             ;
        lda     wbit,y                  ;
        sta     whv                     ;
        txa                             ;
        lsr                             ;
        lsr                             ;
        lsr                             ;
        sta     whb                     ;
        lda     _att_sh                 ; shift: bytes, bits
        lsr                             ;
        lsr                             ;
        lsr                             ;
        sta     wsb                     ;
        lda     _att_sh                 ; (sh&7 >= 5: sh&7 - 8, shifted left)
        and     #7                      ;
        cmp     #5                      ;
        bcc     :+                      ;
        sbc     #8                      ;
:       sta     wsr                     ;
        lda     #0                      ; total = 0
        sta     wtot                    ;
        sta     wtot+1                  ;
        sta     wtot+2                  ;
        sec                             ; acnt = -n (counts up to 0)
        lda     #0                      ;
        sbc     acnt                    ;
        sta     acnt                    ;
        lda     #0                      ;
        sbc     acnt+1                  ;
        sta     acnt+1                  ;
        jsr     wdiv                    ; D0

; ---- the weights (ptr2 walks s, ptr1 walks p) -------------------------------
@pos:   ldy     #0                      ; d = best - s_t (>= 0)
        sec                             ;
        lda     wbest                   ;
        sbc     (ptr2),y                ;
        sta     wd                      ;
        iny                             ;
        lda     wbest+1                 ;
        sbc     (ptr2),y                ;
        sta     wd+1                    ;
        iny                             ;
        lda     wbest+2                 ;
        sbc     (ptr2),y                ;
        sta     wd+2                    ;
        iny                             ;
        lda     wbest+3                 ;
        sbc     (ptr2),y                ;
        sta     wd+3                    ;
        cmp     wd0+3                   ; d >= D0 (unsigned)?
        bne     :+                      ;
        lda     wd+2                    ;
        cmp     wd0+2                   ;
        bne     :+                      ;
        lda     wd+1                    ;
        cmp     wd0+1                   ;
        bne     :+                      ;
        lda     wd                      ;
        cmp     wd0                     ;
:       bcc     @mul                    ;
        lda     wp0                     ; idx >= zc: EXP8[255]
        jmp     @store                  ;
@mul:   ldy     wd                      ; mr0-mr6 = d * f, byte k of d at mr k..k+2: each
        beq     @z0                     ; partial product fits its bytes, so no carry goes
        PROD    mp1, mp2, mp3, mp4      ; further (zero bytes of d: zero stores)
        stx     mr0                     ;
        sta     mr0+1                   ;
        ldy     wd                      ;
        PROD    fp1, fp2, fp3, fp4      ;
        tay                             ;
        txa                             ;
        clc                             ;
        adc     mr0+1                   ;
        sta     mr0+1                   ;
        tya                             ;
        adc     #0                      ;
        sta     mr0+2                   ;
        jmp     @k1                     ;
@z0:    sty     mr0                     ; (Y = 0)
        sty     mr0+1                   ;
        sty     mr0+2                   ;
@k1:    BYTEK   1                       ;
@k2:    BYTEK   2                       ;
@k3:    BYTEK   3                       ;
@k4:    lda     #0                      ;
        sta     mr0+6                   ;
        ldx     whb                     ; + 2^(sh-1), carry rippled
        lda     whv                     ;
        clc                             ;
        adc     mr0,x                   ;
        sta     mr0,x                   ;
        bcc     @ext                    ;
@rc:    inx                             ;
        inc     mr0,x                   ;
        beq     @rc                     ;
@ext:   ldx     wsb                     ; idx = bytes sh>>3, +1 shifted right sh&7 (< 8)
        lda     mr0,x                   ;
        sta     wlo                     ;
        lda     mr0+1,x                 ;
        ldy     wsr                     ;
        bmi     @shl                    ;
        beq     @sh0                    ;
@shr:   lsr                             ;
        ror     wlo                     ;
        dey                             ;
        bne     @shr                    ;
@sh0:   ldy     wlo                     ; p = EXP8[idx] (idx < zc <= 255)
        lda     (wexp),y                ;
        jmp     @store                  ;
@shl:   asl     wlo                     ; sh&7 >= 5: idx = the high byte shifted left 8 - sh&7
        rol                             ; (wsr = sh&7 - 8); bits past idx's 8 are 0
        iny                             ;
        bne     @shl                    ;
        tay                             ;
        lda     (wexp),y                ;
@store: ldy     #0                      ;
        sta     (ptr1),y                ;
        clc                             ; total += p
        adc     wtot                    ;
        sta     wtot                    ;
        bcc     :+                      ;
        inc     wtot+1                  ;
        bne     :+                      ;
        inc     wtot+2                  ;
:       inc     ptr1                    ; next p
        bne     :+                      ;
        inc     ptr1+1                  ;
:       clc                             ; next s
        lda     ptr2                    ;
        adc     #4                      ;
        sta     ptr2                    ;
        bcc     :+                      ;
        inc     ptr2+1                  ;
:       inc     acnt                    ; -(positions left) += 1
        beq     :+                      ;
        jmp     @pos                    ;
:       inc     acnt+1                  ;
        beq     :+                      ;
        jmp     @pos                    ;
:       lda     wtot+1                  ; att_out's factor and shift from the total T:
        ldx     wtot                    ; T >= 2^16: N = T >> 1, ish = 32; else N = T << k,
        ldy     #32                     ; 2^15 <= N < 2^16, ish = 31 - k (T = 0: N = 0)
        lsr     wtot+2                  ;
        bcc     @nlo                    ;
        ror                             ;
        tax                             ;
        lda     wtot                    ;
        ror                             ;
        jmp     @rcp                    ;
@nlo:   dey                             ; (Y = 31)
        cmp     #0                      ;
        bne     @nb                     ;
        cpx     #0                      ;
        beq     @nz                     ;
        ldy     #23                     ; T < 256: N = T << 8 first
        stx     wtot+1                  ;
        ldx     #0                      ;
        lda     wtot+1                  ;
@nb:    stx     wtot                    ; A = N hi (not 0)
        cmp     #0                      ;
        bmi     @nd                     ;
@nl:    asl     wtot                    ;
        dey                             ;
        rol                             ;
        bpl     @nl                     ;
@nd:    tax                             ;
        lda     wtot                    ;
@rcp:   sty     _att_ish                ; N = A (lo) / X (hi)
        jsr     _att_recip              ;
        sta     _att_inv                ;
        stx     _att_inv+1              ;
        rts                             ;
@nz:    stx     _att_inv                ; T = 0 (no weight): inv = 0
        stx     _att_inv+1              ;
        sty     _att_ish                ;
        rts                             ;

; wdiv: wd0 = ceil((2 zc - 1) << (sh-1) / f), $FFFFFFFF when f = 0 or above 32 bits, 0 when
; zc = 0. Dividend bits leave tmp1:tmp2 MSB first (A << 7, then zeros): sh + 8 steps of
; restoring division; remainder in wd (3 bytes), quotient in wd0.
wdiv:   lda     #0                      ;
        sta     wd0                     ;
        sta     wd0+1                   ;
        sta     wd0+2                   ;
        sta     wd0+3                   ;
        sta     wd                      ;
        sta     wd+1                    ;
        sta     wd+2                    ;
        lda     _att_zc                 ; zc = 0: every idx >= zc
        bne     :+                      ;
        rts                             ;
:
        lda     _att_f                  ; f = 0: idx = 0 always, never skip
        ora     _att_f+1                ;
        bne     :+                      ;
        jmp     @inf                    ;
:       lda     _att_zc                 ; A = 2 zc - 1 (9 bits), << 7 into tmp2:tmp1
        asl                             ;
        sta     tmp1                    ;
        lda     #0                      ;
        rol                             ;
        sta     tmp2                    ;
        lda     tmp1                    ;
        bne     :+                      ;
        dec     tmp2                    ;
:       dec     tmp1                    ;
        ldx     #7                      ;
@al:    asl     tmp1                    ;
        rol     tmp2                    ;
        dex                             ;
        bne     @al                     ;
        lda     _att_sh                 ; steps = sh + 8
        clc                             ;
        adc     #8                      ;
        tax                             ;
@step:  asl     tmp1                    ; next dividend bit -> C
        rol     tmp2                    ;
        rol     wd                      ; r = 2r + bit
        rol     wd+1                    ;
        rol     wd+2                    ;
        asl     wd0                     ; q <<= 1
        rol     wd0+1                   ;
        rol     wd0+2                   ;
        rol     wd0+3                   ;
        bcs     @inf                    ; quotient above 32 bits
        sec                             ; r >= f ?
        lda     wd                      ;
        sbc     _att_f                  ;
        tay                             ;
        lda     wd+1                    ;
        sbc     _att_f+1                ;
        sta     tmp3                    ;
        lda     wd+2                    ;
        sbc     #0                      ;
        bcc     @nos                    ;
        sta     wd+2                    ; r -= f, q |= 1
        lda     tmp3                    ;
        sta     wd+1                    ;
        sty     wd                      ;
        inc     wd0                     ;
@nos:   dex                             ;
        bne     @step                   ;
        lda     wd                      ; remainder: round up
        ora     wd+1                    ;
        ora     wd+2                    ;
        beq     @ret                    ;
        inc     wd0                     ;
        bne     @ret                    ;
        inc     wd0+1                   ;
        bne     @ret                    ;
        inc     wd0+2                   ;
        bne     @ret                    ;
        inc     wd0+3                   ;
        bne     @ret                    ;
@inf:   lda     #$FF                    ; never reached by a d < 2^31
        sta     wd0                     ;
        sta     wd0+1                   ;
        sta     wd0+2                   ;
        sta     wd0+3                   ;
@ret:   rts                             ;

        .segment "RODATA"
wbit:   .byte   1, 2, 4, 8, 16, 32, 64, 128 ; 1 << n
