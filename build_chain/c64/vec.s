;
; vec.s - elementwise vector steps of the forward pass: saturation of the s32 matrix outputs
; and the saturating residual add, the FFN gate and RoPE       [sat16, residual, silu, rope]
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
;   void __fastcall__ vec_rope(int16_t* v, const int16_t* row, uint8_t n);
;       per pair i (f = i % hs, (c, s) = row[f], row[f+1]): v[i], v[i+1] =
;       sat16((v0 c - v1 s + 2^13) >> 14), sat16((v0 s + v1 c + 2^13) >> 14)
;   extern uint8_t rope_hs;                                         head size (even, < 128)
;
; The gate, per element: u = (h >> (F-4)) + half; u < 0: s = 0; u >= last: s = h; else
; s = a + (((b-a) * frac + 2^(F-5)) >> (F-4)) with a, b = tab[u], tab[u+1], frac = the low
; F-4 bits of h. t = h >> (F-4) comes from shifting the sign-extended h left by 12-F, which
; leaves frac << (12-F) in the low byte: (b-a) * that, + $80 (+ $7F when b < a), >> 8 is the
; rounded step, so no shift loops. The model's case F = 10, half = 128, last = 256 (FRAC_H,
; SILU_LEN = 257: format constants; gate_frac is a variable so other F stay tested) has its own
; path: inside (0 <= u < 256) is -32 <= h hi < 32, u = ((h hi + 32) << 2) | (h lo >> 6), and
; the result is (product bytes 3-1) >> 2, saturated when byte 3 >= 2. h3 and hb share one
; offset. Products are sign and magnitude by quarter squares (mul.s tables, inline, zero high
; bytes skipped); a negative product P rounds as -((|P| + 2^(k-1) - 1) >> k) (= floor((P +
; 2^(k-1)) / 2^k)).
;
; Contract:
;   all   in: n A (0 = nothing); src (h3), dst (x, hb) on the C stack (4 bytes, popped)
;         out: dst[0..n)   clobbers: A X Y, ptr1 (src), ptr2 (dst), ptr3, tmp1-tmp3, mr0-mr7,
;         mul.s mp1-mp4 low bytes; the gate also ptr4, tmp4, sreg
;   gate: 5 <= F <= 12 (F-4 bits of frac fit a byte), 0 <= half, the table holds last+1 values
;   rope: n even (0 = nothing); the four products are |v| * |c| etc. (u32, quarter squares,
;         a zero high byte of |v| skips half), summed with signs in 32 bits (33 when a + b =
;         2^31: saturates); clobbers ptr3, ptr4, tmp2, tmp3, sreg too, and mul.s's ra0-ra3, rf0,
;         rsh, rneg (mr0+8..15, asserted at link: rhold, |v0|'s products, no copy)
;   argmax in: n A/X (>= 1), v on the C stack (popped)   out: A/X = index   clobbers: A Y,
;         ptr1-ptr3, tmp1-tmp4, sreg
;
; Coupling: mul.s's tables (mul_init first). Cycles: about 60 per element (sat16), 80
; (residual), 590 (gate, on the model's h1 and h3; 720 for other F), 50 (argmax), 1480 per
; pair (rope).
;
        .include "zeropage.inc"         ; sp, sreg, ptr1-ptr4, tmp1-tmp4
        .include "qsq.inc"              ; MSET, PROD

        .export _vec_sat16, _vec_residual, _vec_gate, _vec_argmax, _vec_rope, _rope_hs
        .export _gate_tab, _gate_frac, _gate_half, _gate_last
        .importzp mr0, mp1, mp2, mp3, mp4, ra0

mr1 = mr0 + 1                           ; mul.s's product bytes, scratch here
mr2 = mr0 + 2
mr3 = mr0 + 3
mr4 = mr0 + 4
mr5 = mr0 + 5
mr6 = mr0 + 6
mr7 = mr0 + 7
rhold = mr0 + 8                         ; rope: |v0| |c|, |v0| |s| (u32 each): mul.s's ra0-rneg
        .assert ra0 = mr0 + 8, lderror, "vec.s: rhold needs mul.s's ra0-rneg right after mr0-mr7"

        .segment "BSS"
_gate_tab:      .res 2                  ; -> SILU table (int16)
_gate_frac:     .res 1                  ; F
_gate_half:     .res 2                  ; (LEN-1)/2
_gate_last:     .res 2                  ; LEN-1
gl:     .res    1                       ; 12 - F = 8 - step: left shifts of h
gfr:    .res    1                       ; F & 7
gfb:    .res    1                       ; F >> 3
grnd:   .res    4                       ; 2^(F-1), 2^(F-1) - 1 (16 bits each)
gh:     .res    2                       ; h
gfast:  .res    1                       ; bit 7: F = 10, half = 128, last = 256
goff:   .res    1                       ; offset of the element in hb and h3
_rope_hs:       .res 1                  ; head size (rope)
rwrap:  .res    1                       ; 2 hs: bytes of a row
rro:    .res    1                       ; row offset of (c, s)
rnc:    .res    1                       ; bit 7: c < 0
rns:    .res    1                       ; bit 7: s < 0
rn0:    .res    1                       ; bit 7: v0 < 0
rn1:    .res    1                       ; bit 7: v1 < 0
rcs:    .res    6                       ; |c| (0-1), |s| (4-5)

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
; vec_gate: ptr1 = h3, ptr2 = hb, ptr3 -> tab[u], ptr4 = t then u, sreg = s then |s|,
; tmp2 = frac << (8-step), tmp3 bit 7 = the product is negative, tmp4 = rounding threshold,
; mr0-mr3 = |s| * |h3|, mr4 = the shift window's guard byte (0), mr4/mr5 = the interpolation
; step before that, mr6/mr7 = |b - a|, then |h3|

_vec_gate:
        jsr     args                    ;
        lda     tmp1                    ;
        bne     :+                      ;
        rts                             ;
:       lda     #12                     ; gl = 12 - F = 8 - step
        sec                             ;
        sbc     _gate_frac              ;
        sta     gl                      ;
        lda     _gate_frac              ; gfr = F & 7, gfb = F >> 3
        and     #7                      ;
        sta     gfr                     ;
        lda     _gate_frac              ;
        lsr                             ;
        lsr                             ;
        lsr                             ;
        sta     gfb                     ;
        lda     #0                      ; grnd = 2^(F-1) (F <= 12: 16 bits)
        sta     grnd                    ;
        sta     grnd+1                  ;
        ldx     _gate_frac              ;
        sec                             ;
:       rol     grnd                    ; the set carry walks up F times
        rol     grnd+1                  ;
        dex                             ;
        bne     :-                      ;
        lda     grnd                    ; grnd+2 = 2^(F-1) - 1
        sec                             ;
        sbc     #1                      ;
        sta     grnd+2                  ;
        lda     grnd+1                  ;
        sbc     #0                      ;
        sta     grnd+3                  ;
        ldx     #0                      ; gfast: the model's case (FRAC_H = 10, SILU_LEN = 257)
        lda     _gate_frac              ;
        eor     #10                     ;
        ora     _gate_half+1            ;
        ora     _gate_last              ;
        bne     :+                      ;
        lda     _gate_half              ;
        eor     #128                    ;
        bne     :+                      ;
        lda     _gate_last+1            ;
        cmp     #1                      ;
        bne     :+                      ;
        dex                             ;
:       stx     gfast                   ;
        lda     #0                      ;
        sta     goff                    ;

; ---- s = silu(h) ---------------------------------------------------------------
@el:    ldy     goff                    ; h; t = ((e:h) << (8-step)) >> 8 = h >> step, and
        lda     (ptr2),y                ; the low byte left is frac << (8-step)
        sta     gh                      ;
        sta     tmp2                    ;
        iny                             ;
        lda     (ptr2),y                ;
        sta     gh+1                    ;
        bit     gfast                   ;
        bpl     @gen                    ;
        clc                             ; F = 10: inside (0 <= u < 256) is -32 <= h hi < 32
        adc     #$20                    ;
        cmp     #$40                    ;
        bcs     @fout                   ;
        asl     tmp2                    ; u = ((h hi + 32) << 2) | (h lo >> 6), tmp2 = frac << 2
        rol                             ;
        asl     tmp2                    ;
        rol                             ;
        asl                             ; ptr3 -> tab[u]
        tax                             ;
        lda     _gate_tab+1             ;
        adc     #0                      ;
        sta     ptr3+1                  ;
        txa                             ;
        clc                             ;
        adc     _gate_tab               ;
        sta     ptr3                    ;
        bcc     @a                      ;
        inc     ptr3+1                  ;
        bcs     @a                      ; (always)
@fout:  cmp     #$A0                    ; h hi + 32 >= $A0: h < -8192, u < 0
        bcc     @sh                     ;
        lda     #0                      ;
        tay                             ;
        jmp     @st                     ;
@gen:   sta     ptr4                    ;
        ldx     #0                      ; e = the sign extension
        cmp     #$80                    ;
        bcc     :+                      ;
        dex                             ;
:       stx     ptr4+1                  ;
        ldx     gl                      ;
        beq     @u                      ;
:       asl     tmp2                    ;
        rol     ptr4                    ;
        rol     ptr4+1                  ;
        dex                             ;
        bne     :-                      ;
@u:     clc                             ; u = t + half
        lda     ptr4                    ;
        adc     _gate_half              ;
        sta     ptr4                    ;
        lda     ptr4+1                  ;
        adc     _gate_half+1            ;
        sta     ptr4+1                  ;
        bpl     :+                      ;
        lda     #0                      ; u < 0: s = 0, so g = 0
        tay                             ;
        jmp     @st                     ;
:       lda     ptr4                    ; u >= last: s = h
        cmp     _gate_last              ;
        lda     ptr4+1                  ;
        sbc     _gate_last+1            ;
        bcc     @interp                 ;
@sh:    lda     gh                      ;
        sta     sreg                    ;
        lda     gh+1                    ;
        sta     sreg+1                  ;
        jmp     @mul                    ;
@interp:
        lda     ptr4                    ; ptr3 -> tab[u]
        asl                             ;
        tax                             ;
        lda     ptr4+1                  ;
        rol                             ;
        tay                             ;
        txa                             ;
        clc                             ;
        adc     _gate_tab               ;
        sta     ptr3                    ;
        tya                             ;
        adc     _gate_tab+1             ;
        sta     ptr3+1                  ;
@a:     ldy     #0                      ; s = a
        lda     (ptr3),y                ;
        sta     sreg                    ;
        iny                             ;
        lda     (ptr3),y                ;
        sta     sreg+1                  ;
        lda     tmp2                    ; frac = 0: s = a
        bne     :+                      ;
        jmp     @mul                    ;
:       sta     mp1                     ; multiplicand frac << (8-step) (mset)
        sta     mp2                     ;
        eor     #$FF                    ;
        sta     mp3                     ;
        sta     mp4                     ;
        iny                             ; d = b - a (17-bit sign: N xor V)
        sec                             ;
        lda     (ptr3),y                ;
        sbc     sreg                    ;
        sta     mr6                     ;
        iny                             ;
        lda     (ptr3),y                ;
        sbc     sreg+1                  ;
        sta     mr7                     ;
        bvc     :+                      ;
        eor     #$80                    ;
:       sta     tmp3                    ; bit 7: d < 0
        bpl     @dpos                   ;
        sec                             ; |d| (16 bits: |d| < 2^16)
        lda     #0                      ;
        sbc     mr6                     ;
        sta     mr6                     ;
        lda     #0                      ;
        sbc     mr7                     ;
        sta     mr7                     ;
        lda     #$81                    ; d < 0: s = a - ((P + $7F) >> 8)
        bne     :+                      ; (always)
@dpos:  lda     #$80                    ; d > 0: s = a + ((P + $80) >> 8)
:       sta     tmp4                    ; (the carry out of P's low byte: L0 >= tmp4)
        lda     #0                      ; P = |d| * (frac << (8-step)) = H << 8 + L
        sta     mr5                     ;
        ldy     mr7                     ; H = |d| hi * frac: mr4 (H0), mr5 (H1)
        beq     :+                      ; (A = 0)
        PROD    mp1, mp2, mp3, mp4      ;
        sta     mr5                     ;
        txa                             ;
:       sta     mr4                     ;
        ldy     mr6                     ; L = |d| lo * frac
        PROD    mp1, mp2, mp3, mp4      ; X = L0, A = L1
        cpx     tmp4                    ; C = rounding carry
        adc     mr4                     ; R = (P + rounding) >> 8 = L1 + H0 + C, H1 + carry
        sta     mr4                     ;
        bcc     :+                      ;
        inc     mr5                     ;
:       bit     tmp3                    ; s = a +- R
        bmi     @dsub                   ;
        clc                             ;
        lda     sreg                    ;
        adc     mr4                     ;
        sta     sreg                    ;
        lda     sreg+1                  ;
        adc     mr5                     ;
        sta     sreg+1                  ;
        jmp     @mul                    ;
@dsub:  sec                             ;
        lda     sreg                    ;
        sbc     mr4                     ;
        sta     sreg                    ;
        lda     sreg+1                  ;
        sbc     mr5                     ;
        sta     sreg+1                  ;

; ---- g = sat16((s * h3 + 2^(F-1)) >> F) -------------------------------------------
@mul:   ldy     goff                    ; sign = s xor h3
        iny                             ;
        lda     (ptr1),y                ;
        eor     sreg+1                  ;
        sta     tmp3                    ;
        lda     (ptr1),y                ; |h3| -> mr6/mr7
        bpl     @h3p                    ;
        dey                             ;
        sec                             ;
        lda     #0                      ;
        sbc     (ptr1),y                ;
        sta     mr6                     ;
        iny                             ;
        lda     #0                      ;
        sbc     (ptr1),y                ;
        sta     mr7                     ;
        jmp     @sabs                   ;
@h3p:   sta     mr7                     ;
        dey                             ;
        lda     (ptr1),y                ;
        sta     mr6                     ;
@sabs:  lda     sreg+1                  ; |s|
        bpl     :+                      ;
        sec                             ;
        lda     #0                      ;
        sbc     sreg                    ;
        sta     sreg                    ;
        lda     #0                      ;
        sbc     sreg+1                  ;
        sta     sreg+1                  ;
:       lda     sreg                    ; |s| lo * |h3| -> mr0-mr2 (mset)
        MSET                            ;
        ldy     mr6                     ;
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     mr0                     ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     mr1                     ;
        lda     #0                      ;
        sta     mr3                     ;
        sta     mr4                     ; the window's guard byte
        ldy     mr7                     ; (|h3| hi = 0: mr2 = 0)
        beq     @p1                     ;
        PROD    mp1, mp2, mp3, mp4      ;
        sta     mr2                     ;
        txa                             ;
        clc                             ;
        adc     mr1                     ;
        sta     mr1                     ;
        lda     #0                      ;
        adc     mr2                     ;
@p1:    sta     mr2                     ;
        lda     sreg+1                  ; |s| hi * |h3| at byte 1 (|s| hi = 0: done)
        beq     @rnd                    ;
        MSET                            ; (mset)
        ldy     mr6                     ;
        PROD    mp1, mp2, mp3, mp4      ;
        tay                             ;
        txa                             ;
        clc                             ;
        adc     mr1                     ;
        sta     mr1                     ;
        tya                             ;
        adc     mr2                     ;
        sta     mr2                     ;
        bcc     :+                      ;
        inc     mr3                     ;
:       ldy     mr7                     ;
        beq     @rnd                    ;
        PROD    mp1, mp2, mp3, mp4      ;
        tay                             ;
        txa                             ;
        clc                             ;
        adc     mr2                     ;
        sta     mr2                     ;
        tya                             ;
        adc     mr3                     ;
        sta     mr3                     ;
@rnd:   ldx     #0                      ; + 2^(F-1), or 2^(F-1) - 1 when negative
        bit     tmp3                    ;
        bpl     :+                      ;
        ldx     #2                      ;
:       clc                             ;
        lda     mr0                     ;
        adc     grnd,x                  ;
        sta     mr0                     ;
        lda     mr1                     ;
        adc     grnd+1,x                ;
        sta     mr1                     ;
        bcc     :+                      ;
        inc     mr2                     ;
        bne     :+                      ;
        inc     mr3                     ;
:       bit     gfast                   ; F = 10: R = (mr3:mr2:mr1) >> 2, and mr3 >= 2 saturates
        bpl     @gwin                   ; (mr3 < 2: R < 2^15)
        lda     mr3                     ;
        cmp     #2                      ;
        bcs     @max                    ;
        lsr                             ;
        ror     mr2                     ;
        ror     mr1                     ;
        lsr     mr2                     ;
        ror     mr1                     ;
        lda     mr1                     ;
        ldy     mr2                     ;
        bpl     @sgn                    ; (always)
@gwin:  ldx     gfb                     ; R = the window mr[X..X+2] >> (F & 7), X = F >> 3
        lda     mr0+3,x                 ; a byte above the window: R >= 2^17
        bne     @max                    ;
        ldy     gfr                     ;
        beq     @sat                    ;
:       lsr     mr0+2,x                 ;
        ror     mr0+1,x                 ;
        ror     mr0,x                   ;
        dey                             ;
        bne     :-                      ;
@sat:   lda     mr0+2,x                 ; R > 32767: 32767
        bne     @max                    ;
        ldy     mr0+1,x                 ;
        bmi     @max                    ;
        lda     mr0,x                   ; A = low, Y = high byte of R
@sgn:   bit     tmp3                    ; apply the sign
        bpl     @st                     ;
        eor     #$FF                    ;
        clc                             ;
        adc     #1                      ;
        tax                             ;
        tya                             ;
        eor     #$FF                    ;
        adc     #0                      ;
        tay                             ;
        txa                             ;
        jmp     @st                     ;
@max:   lda     #$FF                    ; 32767, or -32767 when negative
        ldy     #$7F                    ;
        bit     tmp3                    ;
        bpl     @st                     ;
        lda     #$01                    ;
        ldy     #$80                    ;
@st:    sta     tmp4                    ; hb = A (low), Y (high)
        tya                             ;
        ldy     goff                    ;
        iny                             ;
        sta     (ptr2),y                ;
        dey                             ;
        lda     tmp4                    ;
        sta     (ptr2),y                ;
        tya                             ; next element: offset += 2 (a wrap moves both pages)
        clc                             ;
        adc     #2                      ;
        sta     goff                    ;
        bcc     :+                      ;
        inc     ptr1+1                  ;
        inc     ptr2+1                  ;
:       dec     tmp1                    ;
        beq     :+                      ;
        jmp     @el                     ;
:       rts                             ;

; ----------------------------------------------------------------------------
; vec_rope: ptr1 = row, ptr2 = v (one pair a step), tmp1 = pairs left, rro = row offset.
; Per pair: |c|, |s| -> rcs, rcs+4 and signs; |v0| products kept in rhold, |v1| products in
; mr0-mr7; each output = the sign of its first term times (a +- b), rounded, saturated.

_vec_rope:
        jsr     args                    ;
        lsr     tmp1                    ; pairs = n / 2
        bne     :+                      ;
        rts                             ;
:       lda     _rope_hs                ; row bytes = 2 hs
        asl                             ;
        sta     rwrap                   ;
        lda     #0                      ;
        sta     rro                     ;
@pair:  ldy     rro                     ; c, s
        iny                             ;
        lda     (ptr1),y                ;
        tax                             ;
        dey                             ;
        lda     (ptr1),y                ;
        jsr     absw                    ;
        sta     rcs                     ;
        stx     rcs+1                   ;
        ror     rnc                     ; bit 7: c < 0
        iny                             ;
        iny                             ;
        iny                             ;
        lda     (ptr1),y                ;
        tax                             ;
        dey                             ;
        lda     (ptr1),y                ;
        jsr     absw                    ;
        sta     rcs+4                   ;
        stx     rcs+5                   ;
        ror     rns                     ; bit 7: s < 0
        iny                             ; next (c, s); wrap at the head's end
        iny                             ;
        cpy     rwrap                   ;
        bcc     :+                      ;
        ldy     #0                      ;
:       sty     rro                     ;
        ldy     #1                      ; v0
        lda     (ptr2),y                ;
        tax                             ;
        dey                             ;
        lda     (ptr2),y                ;
        jsr     absw                    ;
        ror     rn0                     ;
        stx     sreg+1                  ;
        ldx     #8                      ;
        jsr     rprod                   ; rhold = |v0| |c|, |v0| |s|
        ldy     #3                      ; v1
        lda     (ptr2),y                ;
        tax                             ;
        dey                             ;
        lda     (ptr2),y                ;
        jsr     absw                    ;
        ror     rn1                     ;
        stx     sreg+1                  ;
        ldx     #0                      ;
        jsr     rprod                   ; mr0-mr3 = |v1| |c|, mr4-mr7 = |v1| |s|
        lda     rn0                     ; v0' = v0 c - v1 s: a = |v0 c|, b = |v1 s|
        eor     rnc                     ;
        sta     tmp2                    ; sign of v0 c
        lda     rn1                     ;
        eor     rns                     ;
        eor     #$80                    ; sign of -v1 s
        eor     tmp2                    ;
        ldx     #0                      ;
        ldy     #4                      ;
        jsr     comb                    ;
        pha                             ; store v0' (v0 and v1 are in the products)
        tya                             ;
        ldy     #1                      ;
        sta     (ptr2),y                ;
        dey                             ;
        pla                             ;
        sta     (ptr2),y                ;
        lda     rn0                     ; v1' = v0 s + v1 c: a = |v0 s|, b = |v1 c|
        eor     rns                     ;
        sta     tmp2                    ; sign of v0 s
        lda     rn1                     ;
        eor     rnc                     ; sign of v1 c
        eor     tmp2                    ;
        ldx     #4                      ;
        ldy     #0                      ;
        jsr     comb                    ;
        pha                             ; store v1'
        tya                             ;
        ldy     #3                      ;
        sta     (ptr2),y                ;
        dey                             ;
        pla                             ;
        sta     (ptr2),y                ;
        lda     ptr2                    ; next pair
        clc                             ;
        adc     #4                      ;
        sta     ptr2                    ;
        bcc     :+                      ;
        inc     ptr2+1                  ;
:       dec     tmp1                    ;
        beq     :+                      ;
        jmp     @pair                   ;
:       rts                             ;

; absw: X:A = |X:A| (-32768 -> 32768), C = it was negative; Y kept
absw:   cpx     #$80                    ;
        bcc     @p                      ;
        eor     #$FF                    ;
        clc                             ;
        adc     #1                      ;
        pha                             ;
        txa                             ;
        eor     #$FF                    ;
        adc     #0                      ;
        tax                             ;
        pla                             ;
        sec                             ;
@p:     rts                             ;

; rprod: mr[X..X+3] = |v| * |c|, mr[X+4..X+7] = |v| * |s|; |v| = sreg+1:A, |c| = rcs, |s| =
; rcs+4; X = 0 (mr0-mr7) or 8 (rhold = mr0+8: mul.s's ra0-rneg, scratch here). Unrolled;
; a zero high byte of |v|: half the products. X kept.
rprod:  sta     mp1                     ; |v| lo (mset)
        sta     mp2                     ;
        eor     #$FF                    ;
        sta     mp3                     ;
        sta     mp4                     ;
        ldy     rcs                     ; lo * c
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     mr0,x                   ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     mr0+1,x                 ;
        ldy     rcs+1                   ;
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     tmp3                    ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     mr0+2,x                 ;
        lda     tmp3                    ;
        clc                             ;
        adc     mr0+1,x                 ;
        sta     mr0+1,x                 ;
        lda     #0                      ;
        sta     mr0+3,x                 ;
        adc     mr0+2,x                 ;
        sta     mr0+2,x                 ;
        ldy     rcs+4                   ; lo * s
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     mr0+4,x                 ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     mr0+5,x                 ;
        ldy     rcs+5                   ;
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     tmp3                    ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        sta     mr0+6,x                 ;
        lda     tmp3                    ;
        clc                             ;
        adc     mr0+5,x                 ;
        sta     mr0+5,x                 ;
        lda     #0                      ;
        sta     mr0+7,x                 ;
        adc     mr0+6,x                 ;
        sta     mr0+6,x                 ;
        lda     sreg+1                  ; |v| hi
        beq     @done                   ;
        MSET                            ; (mset)
        ldy     rcs                     ; hi * c
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     tmp3                    ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        tay                             ;
        lda     tmp3                    ;
        clc                             ;
        adc     mr0+1,x                 ;
        sta     mr0+1,x                 ;
        tya                             ;
        adc     mr0+2,x                 ;
        sta     mr0+2,x                 ;
        bcc     :+                      ;
        inc     mr0+3,x                 ;
:       ldy     rcs+1                   ;
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     tmp3                    ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        tay                             ;
        lda     tmp3                    ;
        clc                             ;
        adc     mr0+2,x                 ;
        sta     mr0+2,x                 ;
        tya                             ;
        adc     mr0+3,x                 ;
        sta     mr0+3,x                 ;
        ldy     rcs+4                   ; hi * s
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     tmp3                    ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        tay                             ;
        lda     tmp3                    ;
        clc                             ;
        adc     mr0+5,x                 ;
        sta     mr0+5,x                 ;
        tya                             ;
        adc     mr0+6,x                 ;
        sta     mr0+6,x                 ;
        bcc     :+                      ;
        inc     mr0+7,x                 ;
:       ldy     rcs+5                   ;
        sec                             ;
        lda     (mp1),y                 ;
        sbc     (mp3),y                 ;
        sta     tmp3                    ;
        lda     (mp2),y                 ;
        sbc     (mp4),y                 ;
        tay                             ;
        lda     tmp3                    ;
        clc                             ;
        adc     mr0+6,x                 ;
        sta     mr0+6,x                 ;
        tya                             ;
        adc     mr0+7,x                 ;
        sta     mr0+7,x                 ;
@done:  rts                             ;

; comb: A/Y (low/high) = sat16((w + 2^13) >> 14), w = +-(a +- b): a = rhold[X..X+3],
; b = mr[Y..Y+3] (magnitudes <= 2^30 each), A bit 7 = subtract b, tmp2 bit 7 = negate;
; w in ptr3/ptr4 (4 bytes)
comb:   asl                             ; C = subtract: a + ~b + 1
        lda     #0                      ; tmp3 = $FF to complement b
        bcc     :+                      ;
        lda     #$FF                    ;
:       sta     tmp3                    ;
        lda     mr0,y                   ;
        eor     tmp3                    ;
        adc     rhold,x                 ;
        sta     ptr3                    ;
        lda     mr0+1,y                 ;
        eor     tmp3                    ;
        adc     rhold+1,x               ;
        sta     ptr3+1                  ;
        lda     mr0+2,y                 ;
        eor     tmp3                    ;
        adc     rhold+2,x               ;
        sta     ptr4                    ;
        lda     mr0+3,y                 ;
        eor     tmp3                    ;
        adc     rhold+3,x               ;
        sta     ptr4+1                  ;
        bpl     @rnd0                   ;
        bit     tmp3                    ; a - b is signed; a + b = 2^31 (v0 = s = v1 = c =
        bmi     @rnd0                   ; -32768) is not: saturate by the sign of w
        lda     tmp2                    ;
        sta     ptr4+1                  ;
        jmp     @ovf                    ;
@rnd0:  bit     tmp2                    ; w = -w
        bpl     @rnd                    ;
        sec                             ;
        lda     #0                      ;
        sbc     ptr3                    ;
        sta     ptr3                    ;
        lda     #0                      ;
        sbc     ptr3+1                  ;
        sta     ptr3+1                  ;
        lda     #0                      ;
        sbc     ptr4                    ;
        sta     ptr4                    ;
        lda     #0                      ;
        sbc     ptr4+1                  ;
        sta     ptr4+1                  ;
@rnd:   lda     ptr3+1                  ; + 2^13
        clc                             ;
        adc     #$20                    ;
        bcc     :+                      ;
        inc     ptr4                    ;
        bne     :+                      ;
        inc     ptr4+1                  ;
:       tax                             ; (bits 8-15 of w)
        lda     ptr4+1                  ; w >> 14 fits 16 bits: bits 31-29 equal
        and     #$E0                    ;
        beq     @fit                    ;
        cmp     #$E0                    ;
        bne     @ovf                    ;
@fit:   txa                             ; bytes 3-1 << 2: bytes 3, 2 = w >> 14
        asl                             ;
        rol     ptr4                    ;
        rol     ptr4+1                  ;
        asl                             ;
        rol     ptr4                    ;
        rol     ptr4+1                  ;
        lda     ptr4                    ;
        ldy     ptr4+1                  ;
        cpy     #$80                    ; -32768: -32767
        bne     @r                      ;
        cmp     #0                      ;
        bne     @r                      ;
        lda     #$01                    ;
@r:     rts                             ;
@ovf:   lda     #$FF                    ; 32767, or -32767 when w < 0
        ldy     #$7F                    ;
        bit     ptr4+1                  ;
        bpl     @r                      ;
        lda     #$01                    ;
        ldy     #$80                    ;
        rts                             ;

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
