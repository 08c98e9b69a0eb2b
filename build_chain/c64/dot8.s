;
; dot8.s - int8 matrix rows times an int8 vector, each row rescaled: the forward pass's matmuls
;
; Per row, x.w = (sum (x+w)^2 - sum x^2 - sum w^2) / 2. The kernel adds the low bytes of
; (x_j+w_j)^2 in one unrolled pass and the high bytes in a second, from one table of squares
; sq2[m] = (m-256)^2. The REU holds the weights in offset binary, u = w + 128 (reu_format
; W8_BIAS; w = -127..127); each column's table address is patched to sq2 + 128 + x_j once per
; input vector (matvec_patch), and Y = u_j indexes it: sq2[256 + x_j + w_j] for either sign of
; w, so the two passes are alike (no sign branch).
; Carries: A keeps the sum's low byte, X counts carries, and each carry (left set) adds 1 to
; the next add, so sum = A + 255 X + C. Sum x^2 comes from matvec_patch (its negation is the
; passes' start value), sum w^2 per row from a table model_init fills once with matvec_wsq (x = 0). Rows are DMA'd one by one from the
; REU into wrow (a group of n < 64 columns sits at wrow + 64 - n and enters at column 64 - n).
;
; C prototypes (maths.h):
;   void dot_init(void);                                      squares table; once
;   uint32_t __fastcall__ matvec_patch(const int8_t* xq, uint8_t n);   returns sum xq^2
;   void matvec_run(void);    out[r] (=|+=) rescale(x.w_r, mulhi16(M_r, S), e_r + sS - 16)
;   void matvec_wsq(void);    wsq[r] = sum w_r^2 (3 bytes) for the patched n
;   void matvec_kdots(void);  out[t] = (vL_t + 256 vH_t - C_t + 256 sum q) / 2, t < mv_rows: attention
;                             scores from rows L_t, H_t back to back (reu_format KEY_ROWS);
;                             mv_kmax = max out[t] (-2^31 for no rows)
;   extern int32_t* mv_out; uint32_t mv_reu; uint16_t mv_stride; const uint8_t* mv_rec;
;   extern uint8_t mv_rec_stride; uint16_t mv_rows, mv_s; uint8_t mv_ss, mv_add; uint8_t* mv_wsq;
;   extern int32_t mv_kmax;
;   uint32_t __fastcall__ matvec_krow(const int16_t* k, uint8_t n);  mv_krow = rows L, H of key k;
;   extern uint8_t mv_krow[32];                                        returns C = sum L^2 + 256 sum H^2
;
; Contract:
;   matvec_patch  in: n A, xq on the C stack   out: A/X/sreg = sum xq^2   clobbers: A X Y, ptr1,
;                 ptr2; patches its own load of xq (mp_xl: matvec_kdots sums q from it; about
;                 100 cycles per column)
;   matvec_run    in: mv_*, the patched vector  out: mv_out[0..rows)      clobbers: A X Y, mul.s zp
;                 (mp1-mp4 low bytes, mr0-mr7, ra0-ra4, rf0-rf1, rsh, rneg), ptr1-ptr3, tmp1-tmp4;
;                 keeps fst0-fst2 (HIBSS) = m * S + 2^15 of the last S between calls;
;                 patches its own and dot_row's code (sS, -sum x^2, shift entry, the shift's
;                 store/add exits, the high pass's return jmp: rows_begin sets it back)
;   matvec_wsq    in: mv_reu, mv_stride, mv_rows, mv_wsq, patched n        clobbers: as matvec_run
;   matvec_kdots  in: mv_reu (L_0), mv_stride (= n), mv_rows, mv_wsq (-> u32 C_t), mv_out,
;                 patched q (read again: matvec_patch's q must still hold it)   out: mv_out[0..rows), mv_kmax   clobbers: as matvec_run
;                 With k = 256 hi + lo + 128 per column, L = lo - 128, H = hi (int8 rows), v' = the
;                 rows' sums of squares less sum q^2, C_t = sum L^2 + 256 sum H^2 and kq = 256 sum q:
;                 vL' + 256 vH' - C_t + kq = 2 k.q (an even s32), so out[t] = k_t.q.
;   matvec_krow   in: n A (1..16), k on the C stack (popped)   out: mv_krow[0..2n), A/X/sreg = C
;                 clobbers: A X Y, ptr1, ptr2, tmp1-tmp4 (squares from sq2: dot_init first)
;   The kernel needs 1 <= n <= 64 and shifts e + sS - 16 >= 1 (the exporter guarantees both).
;
; Coupling: DMA straight through the REU's registers (reu.inc); the multiply tables of mul.s
; (mul_init first; rescale_tail rounds and shifts for shifts outside 17..24 and |x.w| >= 2^16;
; umul16 for M < 2^15). Cycles: about 23 per multiply-add, plus about 680 per row (DMA, sums,
; F = mulhi16(M, S) from the fst tables of m * S, built once per new S, about 9,000 cycles;
; |x.w| * F by quarter squares, a 16-bit shift, the rounding bit carried into the store/add).
;
        .include "zeropage.inc"         ; sp, sreg, ptr1-ptr3, tmp1-tmp4
        .include "reu.inc"              ; REU registers

        .export _dot_init, _matvec_patch, _matvec_run, _matvec_wsq, _matvec_kdots, _matvec_krow, _mv_krow
        .export _mv_out, _mv_reu, _mv_stride, _mv_rec, _mv_rec_stride, _mv_rows, _mv_s, _mv_ss
        .export _mv_add, _mv_wsq, _mv_kmax
        .import rescale_tail, umul16
.ifdef __SIM6502__
        .import reu_dma
.endif
        .importzp mp1, mr0, ra0, rf0, rsh, rneg

COLS    = 64                            ; columns of the unrolled kernel (reu_format GROUP)

        .segment "ZEROPAGE"
outp:   .res    2                       ; -> out[r]
recp:   .res    2                       ; -> record of row r
wsqp:   .res    2                       ; -> wsq[r]
reucur: .res    3                       ; REU address of row r
rowcnt: .res    2                       ; -(rows left)
v0:     .res    3                       ; sum of squares / 2S (24-bit)
lx:     .res    1                       ; carry count of a pass
tp1:    .res    2                       ; -> sqlo + F lo
tp2:    .res    2                       ; -> sqhi + F lo
tp3:    .res    2                       ; -> nsqlo + ~F lo
tp4:    .res    2                       ; -> nsqhi + ~F lo
up1:    .res    2                       ; -> sqlo + F hi
up2:    .res    2                       ; -> sqhi + F hi
up3:    .res    2                       ; -> nsqlo + ~F hi
up4:    .res    2                       ; -> nsqhi + ~F hi
fb:     .res    4                       ; M * S bytes 1..3 (byte 0 is not needed)
ab:     .res    3                       ; |x.w| of the row

        .segment "TOPBSS"
        .align  256                     ; the tables start at page offset $C0: the column
        .res    $C0                     ; operands sq2 + 128 + x then sit at offset $40 + x, so
                                        ; the kernel's reads cross a page only for x < -64 or
                                        ; x + w >= 64 (~13% of columns, not ~50% from offset 0)
sq2lo:  .res    512                     ; low byte of (m-256)^2, m = 0..511 (0..510 are read)
sq2hi:  .res    512                     ; high byte of (m-256)^2
        .segment "HIBSS"
fst1:   .res    256                     ; byte 1 of m * S + 2^15, m = 0..255 (S = fs_s)
fst2:   .res    256                     ; byte 2 of m * S + 2^15
fst0:   .res    128                     ; byte 0 of m * S, m = 128..255
        .segment "BSS"
kl:     .res    3                       ; matvec_kdots: vL' of the position
fs_s:   .res    2                       ; the S of the fst tables
fs_ok:  .res    1                       ; nonzero: fst tables hold fs_s (0 at start)
wrow:   .res    COLS                    ; the row being multiplied
lo_vec: .res    2                       ; entry of the low pass (not at $xxFF: jmp ())
hi_vec: .res    2                       ; entry of the high pass (lo_vec + HI_LO; not at $xxFF)
        .assert <lo_vec <> $FF && <hi_vec <> $FF, error, "dot8.s: a jmp () vector at $xxFF"
xsq:    .res    3                       ; sum xq^2 of the patched vector
ncols:  .res    1                       ; n of the patched vector
dmadst: .res    2                       ; wrow + 64 - n
_mv_out:        .res 2
_mv_reu:        .res 4
_mv_stride:     .res 2
_mv_rec:        .res 2
_mv_rec_stride: .res 1
_mv_rows:       .res 2
_mv_s:          .res 2
_mv_ss:         .res 1
_mv_add:        .res 1
_mv_wsq:        .res 2
kq:     .res    4                       ; matvec_kdots: 256 sum q
_mv_kmax:       .res 4                  ; matvec_kdots: max out[t]
_mv_krow:       .res 32                 ; a key's rows L, H (matvec_krow)

        .segment "CODE"

; ----------------------------------------------------------------------------
; dot_init: sq2[m] = (m-256)^2 mod 2^16 by (n+1)^2 = n^2 + 2n + 1, from n = -256 (0 mod 2^16)

_dot_init:
        lda     #0                      ; value
        sta     ptr1                    ;
        sta     ptr1+1                  ;
        lda     #<($10000-511)          ; step 2n+1 = -511
        sta     ptr2                    ;
        lda     #>($10000-511)          ;
        sta     ptr2+1                  ;
        ldx     #0                      ; two pages
        ldy     #0                      ;
@loop:  lda     ptr1                    ;
@st0:   sta     sq2lo,y                 ; (page patched below)
        lda     ptr1+1                  ;
@st1:   sta     sq2hi,y                 ;
        clc                             ; value += step
        lda     ptr1                    ;
        adc     ptr2                    ;
        sta     ptr1                    ;
        lda     ptr1+1                  ;
        adc     ptr2+1                  ;
        sta     ptr1+1                  ;
        clc                             ; step += 2
        lda     ptr2                    ;
        adc     #2                      ;
        sta     ptr2                    ;
        bcc     :+                      ;
        inc     ptr2+1                  ;
:       iny                             ;
        bne     @loop                   ;
        inc     @st0+2                  ; next page
        inc     @st1+2                  ;
        inx                             ;
        cpx     #2                      ;
        bne     @loop                   ;
        lda     #>sq2lo                 ; restore the code
        sta     @st0+2                  ;
        lda     #>sq2hi                 ;
        sta     @st1+2                  ;
        rts                             ;

; ----------------------------------------------------------------------------
; matvec_patch

_matvec_patch:
        sta     ncols                   ; n
        ldy     #0                      ; xq -> the loop's load
        lda     (sp),y                  ;
        sta     mp_xl+1                 ;
        iny                             ;
        lda     (sp),y                  ;
        sta     mp_xl+2                 ;
        lda     sp                      ; pop 2
        clc                             ;
        adc     #2                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       lda     #COLS                   ; first column c0 = 64 - n
        sec                             ;
        sbc     ncols                   ;
        tax                             ;
        clc                             ; DMA destination wrow + c0
        adc     #<wrow                  ;
        sta     dmadst                  ;
        lda     #>wrow                  ;
        adc     #0                      ;
        sta     dmadst+1                ;
        lda     lo_at,x                 ; entry points; ptr1 -> column c0's code in the low
        sta     lo_vec                  ; pass, ptr2 = ptr1 + (HI_LO & $FF00): the same column
        sta     ptr1                    ; of the high pass is at ptr2 + <HI_LO
        sta     ptr2                    ;
        clc                             ;
        adc     #<HI_LO                 ;
        sta     hi_vec                  ;
        lda     lo_at+COLS+1,x          ;
        sta     lo_vec+1                ;
        sta     ptr1+1                  ;
        adc     #>HI_LO                 ;
        sta     hi_vec+1                ;
        lda     ptr1+1                  ;
        clc                             ;
        adc     #>HI_LO                 ;
        sta     ptr2+1                  ;
        lda     #0                      ; sum x^2
        sta     xsq                     ;
        sta     xsq+1                   ;
        sta     xsq+2                   ;
        tax                             ; j
mp_col:
mp_xl:  lda     $FFFF,x                 ; x_j (address patched; matvec_kdots reads it back)
        eor     #$80                    ; u = x_j + 128 (0..255)
        tay                             ;
        lda     sq2lo+128,y             ; x^2 = sq2[256 + x]
        clc                             ;
        adc     xsq                     ;
        sta     xsq                     ;
        lda     sq2hi+128,y             ;
        adc     xsq+1                   ;
        sta     xsq+1                   ;
        bcc     :+                      ;
        inc     xsq+2                   ;
:       tya                             ; operand = sq2lo + 128 + x = sq2lo + u (16-bit)
        clc                             ;
        adc     #<sq2lo                 ;
        ldy     #4                      ; low byte: both passes
        sta     (ptr1),y                ;
        ldy     #4+<HI_LO               ;
        sta     (ptr2),y                ;
        lda     #>sq2lo                 ; high byte: sq2lo's, sq2hi's = + 2 (same low byte)
        adc     #0                      ;
        ldy     #5                      ;
        sta     (ptr1),y                ;
        adc     #>(sq2hi-sq2lo)         ; (C = 0)
        ldy     #5+<HI_LO               ;
        sta     (ptr2),y                ;
        lda     ptr1                    ; next column: 9 bytes on in both passes
        clc                             ;
        adc     #9                      ;
        sta     ptr1                    ;
        sta     ptr2                    ;
        bcc     :+                      ;
        inc     ptr1+1                  ;
        inc     ptr2+1                  ;
:       inx                             ;
        cpx     ncols                   ;
        bne     mp_col                  ;
        lda     xsq+2                   ; return sum x^2
        sta     sreg                    ;
        lda     #0                      ;
        sta     sreg+1                  ;
        lda     xsq                     ;
        ldx     xsq+1                   ;
        rts                             ;

; ----------------------------------------------------------------------------
; row set-up shared by matvec_run and matvec_wsq

rows_begin:
        lda     _mv_reu                 ;
        sta     reucur                  ;
        lda     _mv_reu+1               ;
        sta     reucur+1                ;
        lda     _mv_reu+2               ;
        sta     reucur+2                ;
        sec                             ; rowcnt = -rows (counted up to 0)
        lda     #0                      ;
        sbc     _mv_rows                ;
        sta     rowcnt                  ;
        lda     #0                      ;
        sbc     _mv_rows+1              ;
        sta     rowcnt+1                ;
        lda     #<hi_end                ; the high pass returns to dot_row
        sta     hi_jmp+1                ;
        lda     #>hi_end                ;
        sta     hi_jmp+2                ;
        lda     _mv_wsq                 ;
        sta     wsqp                    ;
        lda     _mv_wsq+1               ;
        sta     wsqp+1                  ;
        sec                             ; K = -sum x^2 (24-bit) into dot_row's start
        lda     #0                      ; values: the passes add it for free
        sbc     xsq                     ;
        sta     dr_k0+1                 ;
        lda     #0                      ;
        sbc     xsq+1                   ;
        sta     dr_k1+1                 ;
        lda     #0                      ;
        sbc     xsq+2                   ;
        sta     dr_k2+1                 ;
        sta     mr_k2+1                 ;
        lda     #0                      ; REU: no interrupts, both addresses
        sta     REU_IRQMASK             ; count up; C64 address and length set once
        sta     REU_CONTROL             ; (strided rows' fetches autoload them back)
        sta     REU_LENGTH+1            ;
        lda     ncols                   ;
        sta     REU_LENGTH              ;
        sta     dc_len+1                ; (and into the contiguous rows' immediates)
        lda     dmadst                  ;
        sta     REU_C64ADDR             ;
        sta     dc_lo+1                 ;
        lda     dmadst+1                ;
        sta     REU_C64ADDR+1           ;
        sta     dc_hi+1                 ;
        lda     reucur                  ; REU address of row 0 (the contiguous rows' only
        sta     REU_REUADDR             ; write of it)
        lda     reucur+1                ;
        sta     REU_REUADDR+1           ;
        lda     reucur+2                ;
        sta     REU_REUADDR+2           ;
        ldx     #<dr_str                ; stride = n (every matrix but w2's groups, the keys):
        ldy     #>dr_str                ; contiguous rows, dot_row enters at dr_con
        lda     _mv_stride+1            ;
        bne     :+                      ;
        lda     _mv_stride              ;
        cmp     ncols                   ;
        bne     :+                      ;
        ldx     #<dr_cn2                ; wrow + 64 - n and wrow + 64 in one page: the C64
        ldy     #>dr_cn2                ; address's high byte needs no rewrite (it stays, or
        lda     dmadst+1                ; comes back from the shadow register as written)
        cmp     #>(wrow+COLS)           ;
        beq     :+                      ;
        ldx     #<dr_con                ;
        ldy     #>dr_con                ;
:       stx     dot_row+1               ;
        sty     dot_row+2               ;
        rts                             ;

; dot_row: DMA row r (strided rows: the REU address only, rows_begin set the rest, autoload
;   keeps it, reucur advances; contiguous rows: see dr_con), run both passes:
;   v0..v0+2 = sum (x_j + w_j)^2 + K (mod 2^24), K = -sum x^2 (rows_begin). Each pass
;   starts with A = its byte of K and C = 1, so its sum + K byte = A + 255 X + C - 1, which
;   two subtractions give: lo byte A - X - 1 + C (borrow B), hi byte X - B.
dot_row:
        jmp     dr_str                  ; (dr_str or dr_con: rows_begin patches it)
dr_str: lda     reucur                  ; REU -> wrow + 64 - n
        sta     REU_REUADDR             ;
        lda     reucur+1                ;
        sta     REU_REUADDR+1           ;
        lda     reucur+2                ;
        sta     REU_REUADDR+2           ;
        lda     #REU_CMD_FETCH_AUTO     ; go (the rest: rows_begin; autoload keeps it)
.ifdef __SIM6502__
        jsr     reu_dma                 ; sim65 (no REU): tests/c64/sim/reu_sim.s copies
.else
        sta     REU_COMMAND             ;
.endif
        clc                             ; next row
        lda     reucur                  ;
        adc     _mv_stride              ;
        sta     reucur                  ;
        lda     reucur+1                ;
        adc     _mv_stride+1            ;
        sta     reucur+1                ;
        bcc     :+                      ;
        inc     reucur+2                ;
:       jmp     dr_pass                 ;
; contiguous rows (stride = n): a fetch without autoload leaves the REU address at the next
; row (VICE, 17xx: both addresses advance by the length, which reads 1 afterwards), so only
; the length and the C64 address are written again (its high byte only where the row crosses
; a page: dr_cn2 skips it)
dr_con:
dc_hi:  lda     #0                      ; (wrow + 64 - n) high (patched)
        sta     REU_C64ADDR+1           ;
dr_cn2:
dc_len: lda     #0                      ; n (patched)
        sta     REU_LENGTH              ;
dc_lo:  lda     #0                      ; (wrow + 64 - n) low (patched)
        sta     REU_C64ADDR             ;
        lda     #REU_CMD_FETCH          ; go, no autoload
.ifdef __SIM6502__
        jsr     reu_dma                 ;
.else
        sta     REU_COMMAND             ;
.endif
dr_pass: ldx    #0                      ; low pass
        sec                             ;
dr_k0:  lda     #0                      ; (K byte 0, patched)
        jmp     (lo_vec)                ;
lo_end: stx     lx                      ; L = K0 + sum of low bytes (16-bit)
        sbc     lx                      ;
        sta     v0                      ;
        txa                             ;
        sbc     #0                      ;
        sta     v0+1                    ;
        ldx     #0                      ; high pass
        sec                             ;
dr_k1:  lda     #0                      ; (K byte 1, patched)
        jmp     (hi_vec)                ;
hi_end: stx     lx                      ; H = K1 + sum of high bytes (16-bit)
        sbc     lx                      ;
        tay                             ;
        txa                             ;
        sbc     #0                      ;
        tax                             ;
        tya                             ; v = L + 256 H + 65536 K2
        clc                             ;
        adc     v0+1                    ;
        sta     v0+1                    ;
        txa                             ;
dr_k2:  adc     #0                      ; (K byte 2, patched)
        sta     v0+2                    ;
        rts                             ;

; NEXT_ROW: wsqp += 3, rowcnt += 1 (counts up to 0)
.macro  NEXT_ROW
        clc                             ;
        lda     wsqp                    ;
        adc     #3                      ;
        sta     wsqp                    ;
        bcc     :+                      ;
        inc     wsqp+1                  ;
:       inc     rowcnt                  ;
        bne     :+                      ;
        inc     rowcnt+1                ;
:
.endmacro

; ----------------------------------------------------------------------------
; matvec_wsq (after matvec_patch of a zero vector: K = 0)

_matvec_wsq:
        jsr     rows_begin              ;
@row:   lda     rowcnt                  ;
        ora     rowcnt+1                ;
        beq     @done                   ;
        jsr     dot_row                 ; x = 0: sum w^2
        ldy     #0                      ;
        lda     v0                      ;
        sta     (wsqp),y                ;
        iny                             ;
        lda     v0+1                    ;
        sta     (wsqp),y                ;
        iny                             ;
        lda     v0+2                    ;
        sta     (wsqp),y                ;
        NEXT_ROW                        ;
        jmp     @row                    ;
@done:  rts                             ;

; ----------------------------------------------------------------------------
; matvec_kdots: per t, kl = vL' (dot_row of L_t), v0 = vH' (of H_t), both sum (q + row)^2 -
; sum q^2 (signed 24-bit, |v'| < 2^20); ra0-ra3 = kl + 256 v0 + kq - C_t (wsqp -> C_t) and
; out[t] = ra0-ra3 >> 1

_matvec_kdots:
        lda     mp_xl+1                 ; kq = 256 sum q: q from matvec_patch's load
        sta     ptr1                    ;
        lda     mp_xl+2                 ;
        sta     ptr1+1                  ;
        lda     #0                      ;
        sta     kq                      ;
        sta     kq+1                    ;
        tax                             ; X = sum hi
        tay                             ;
@qs:    lda     (ptr1),y                ; + q_j (signed)
        bpl     :+                      ;
        dex                             ;
:       clc                             ;
        adc     kq+1                    ;
        sta     kq+1                    ;
        bcc     :+                      ;
        inx                             ;
:       iny                             ;
        cpy     ncols                   ;
        bne     @qs                     ;
        stx     kq+2                    ;
        txa                             ; byte 3: the sign
        asl                             ;
        lda     #0                      ;
        sbc     #0                      ;
        eor     #$FF                    ;
        sta     kq+3                    ;
        jsr     rows_begin              ;
        lda     _mv_out                 ;
        sta     outp                    ;
        lda     _mv_out+1               ;
        sta     outp+1                  ;
        lda     #0                      ; max = -2^31 (byte 3 kept biased by $80: 0)
        sta     _mv_kmax                ;
        sta     _mv_kmax+1              ;
        sta     _mv_kmax+2              ;
        sta     _mv_kmax+3              ;
@row:   lda     rowcnt                  ; rows left?
        ora     rowcnt+1                ;
        bne     :+                      ;
        lda     _mv_kmax+3              ; max byte 3 unbiased
        eor     #$80                    ;
        sta     _mv_kmax+3              ;
        rts                             ;
:       jsr     dot_row                 ; vL'
        lda     v0                      ;
        sta     kl                      ;
        lda     v0+1                    ;
        sta     kl+1                    ;
        lda     v0+2                    ;
        sta     kl+2                    ;
        jsr     dot_row                 ; vH'
        ldx     #0                      ; X = vL''s sign extension
        lda     kl+2                    ;
        bpl     :+                      ;
        dex                             ;
:       clc                             ; vL' + kq
        lda     kl                      ;
        adc     kq                  ;
        sta     ra0                     ;
        lda     kl+1                    ;
        adc     kq+1                ;
        sta     ra0+1                   ;
        lda     kl+2                    ;
        adc     kq+2                ;
        sta     ra0+2                   ;
        txa                             ;
        adc     kq+3                ;
        sta     ra0+3                   ;
        clc                             ; + 256 vH' (its sign extension is past bit 31)
        lda     ra0+1                   ;
        adc     v0                      ;
        sta     ra0+1                   ;
        lda     ra0+2                   ;
        adc     v0+1                    ;
        sta     ra0+2                   ;
        lda     ra0+3                   ;
        adc     v0+2                    ;
        sta     ra0+3                   ;
        ldy     #0                      ; - C_t
        sec                             ;
        lda     ra0                     ;
        sbc     (wsqp),y                ;
        sta     ra0                     ;
        iny                             ;
        lda     ra0+1                   ;
        sbc     (wsqp),y                ;
        sta     ra0+1                   ;
        iny                             ;
        lda     ra0+2                   ;
        sbc     (wsqp),y                ;
        sta     ra0+2                   ;
        iny                             ;
        lda     ra0+3                   ;
        sbc     (wsqp),y                ;
        cmp     #$80                    ; / 2 (arithmetic; the sum is even)
        ror                             ;
        sta     (outp),y                ;
        dey                             ;
        lda     ra0+2                   ;
        ror                             ;
        sta     (outp),y                ;
        dey                             ;
        lda     ra0+1                   ;
        ror                             ;
        sta     (outp),y                ;
        dey                             ;
        lda     ra0                     ;
        ror                             ;
        sta     (outp),y                ;
        ldy     #3                      ; out[t] > max (signed; from the top byte)?
        lda     (outp),y                ;
        eor     #$80                    ;
        cmp     _mv_kmax+3              ;
        bne     @kd                     ;
@kb:    dey                             ;
        bmi     @kx                     ; equal
        lda     (outp),y                ;
        cmp     _mv_kmax,y              ;
        beq     @kb                     ;
@kd:    bcc     @kx                     ;
        ldy     #3                      ; max = out[t]
@kc:    lda     (outp),y                ;
        sta     _mv_kmax,y              ;
        dey                             ;
        bpl     @kc                     ;
        lda     _mv_kmax+3              ;
        eor     #$80                    ;
        sta     _mv_kmax+3              ;
@kx:    clc                             ; out += 4, C += 4
        lda     outp                    ;
        adc     #4                      ;
        sta     outp                    ;
        bcc     :+                      ;
        inc     outp+1                  ;
:       clc                             ;
        lda     wsqp                    ;
        adc     #4                      ;
        sta     wsqp                    ;
        bcc     :+                      ;
        inc     wsqp+1                  ;
:       inc     rowcnt                  ; rows - 1 (counted up to 0)
        bne     :+                      ;
        inc     rowcnt+1                ;
:       jmp     @row                    ;

; ----------------------------------------------------------------------------
; matvec_krow: X = j; the rows' bytes are offset binary like the weights (u = L + 128 = lo,
; u = H + 128 = hi ^ $80), so sq2[128 + u] is the square; A = sum L^2 in tmp2-tmp4, B = sum
; H^2 in ptr2, ptr2+1, sreg; C = A + 256 B

.macro  SQADD   b0, b1, b2                  ; b0..b2 += (the value of byte u in A)^2
        tay                             ;
        lda     sq2lo+128,y             ;
        clc                             ;
        adc     b0                      ;
        sta     b0                      ;
        lda     sq2hi+128,y             ;
        adc     b1                      ;
        sta     b1                      ;
        bcc     :+                      ;
        inc     b2                      ;
:
.endmacro

_matvec_krow:
        sta     tmp1                    ; n
        ldy     #0                      ; k -> ptr1
        lda     (sp),y                  ;
        sta     ptr1                    ;
        iny                             ;
        lda     (sp),y                  ;
        sta     ptr1+1                  ;
        lda     sp                      ; pop 2
        clc                             ;
        adc     #2                      ;
        sta     sp                      ;
        bcc     :+                      ;
        inc     sp+1                    ;
:       lda     #0                      ; A = B = 0
        sta     tmp2                    ;
        sta     tmp3                    ;
        sta     tmp4                    ;
        sta     ptr2                    ;
        sta     ptr2+1                  ;
        sta     sreg                    ;
        tax                             ; j
@el:    txa                             ; H row: mv_krow[n + j] = hi ^ $80
        asl                             ;
        tay                             ;
        iny                             ;
        txa                             ;
        pha                             ;
        clc                             ;
        adc     tmp1                    ;
        tax                             ;
        lda     (ptr1),y                ;
        eor     #$80                    ;
        sta     _mv_krow,x              ;
        SQADD   ptr2, ptr2+1, sreg      ;
        pla                             ; L row: mv_krow[j] = lo
        tax                             ;
        asl                             ;
        tay                             ;
        lda     (ptr1),y                ;
        sta     _mv_krow,x              ;
        SQADD   tmp2, tmp3, tmp4        ;
        inx                             ;
        cpx     tmp1                    ;
        bne     @el                     ;
        clc                             ; C = A + 256 B: bytes tmp2, X, sreg, sreg+1
        lda     tmp3                    ;
        adc     ptr2                    ;
        tax                             ;
        lda     tmp4                    ;
        adc     ptr2+1                  ;
        pha                             ;
        lda     sreg                    ;
        adc     #0                      ;
        sta     sreg+1                  ;
        pla                             ;
        sta     sreg                    ;
        lda     tmp2                    ;
        rts                             ;

; ----------------------------------------------------------------------------
; scale_begin: the table pages of the F pointer sets (tp, up) are mul_init's (copied from
; mp1-mp4); the fst tables of S

scale_begin:
        ldx     #6                      ; pages: tp/up n+1 = mp n+1
@pg:    lda     mp1+1,x                 ;
        sta     tp1+1,x                 ;
        sta     up1+1,x                 ;
        dex                             ;
        dex                             ;
        bpl     @pg                     ;
        lda     fs_ok                   ; the fst tables of S: keep them if S is unchanged
        beq     fs_build                ;
        lda     _mv_s                   ;
        cmp     fs_s                    ;
        bne     fs_build                ;
        lda     _mv_s+1                 ;
        cmp     fs_s+1                  ;
        bne     fs_build                ;
        rts                             ;

; fs_build: fst1/fst2[m] = bytes 1/2 and fst0[m-128] = byte 0 of m * S + 2^15 (24-bit; the
;   2^15 is F's rounding, matvec_run takes 128 off F), m = 0..255; A = byte 1, tmp1 = byte 0,
;   tmp2 = byte 2; the adds' immediates are patched to S
fs_build:
        lda     _mv_s                   ; S into the adds' immediates
        sta     fs_s                    ;
        sta     @a0+1                   ;
        sta     @b0+1                   ;
        lda     _mv_s+1                 ;
        sta     fs_s+1                  ;
        sta     @a1+1                   ;
        sta     @b1+1                   ;
        lda     #0                      ; m * S + 2^15 = $008000
        sta     tmp1                    ;
        sta     tmp2                    ;
        tay                             ; m
        lda     #$80                    ;
        clc                             ; (C = 0 at each add)
@lo:    sta     fst1,y                  ; m = 0..127: bytes 1, 2
        tax                             ;
        lda     tmp2                    ;
        sta     fst2,y                  ;
        lda     tmp1                    ; + S
@a0:    adc     #0                      ; (S lo, patched)
        sta     tmp1                    ;
        txa                             ;
@a1:    adc     #0                      ; (S hi, patched)
        bcc     :+                      ;
        inc     tmp2                    ;
        clc                             ;
:       iny                             ;
        bpl     @lo                     ;
@hi:    sta     fst1,y                  ; m = 128..255: byte 0 too
        tax                             ;
        lda     tmp2                    ;
        sta     fst2,y                  ;
        lda     tmp1                    ;
        sta     fst0-128,y              ;
@b0:    adc     #0                      ; (S lo, patched)
        sta     tmp1                    ;
        txa                             ;
@b1:    adc     #0                      ; (S hi, patched)
        bcc     :+                      ;
        inc     tmp2                    ;
        clc                             ;
:       iny                             ;
        bne     @hi                     ;
        lda     #1                      ; valid
        sta     fs_ok                   ;
        rts                             ;

; ROWP k: mr[k..k+2] += Y * F (k = 1, 2: the byte of |S| in Y); mr[k+2] is written, not added
;   (the partial sum so far is below 2^(8k+16)); no carry leaves mr[k+2]
.macro  ROWP    k
        sec                             ; Y * F hi at byte k+1
        lda     (up1),y                 ;
        sbc     (up3),y                 ;
        tax                             ;
        lda     (up2),y                 ;
        sbc     (up4),y                 ;
        sta     mr0+k+2                 ;
        txa                             ;
        clc                             ;
        adc     mr0+k+1                 ;
        sta     mr0+k+1                 ;
        bcc     :+                      ;
        inc     mr0+k+2                 ;
:       sec                             ; Y * F lo at byte k
        lda     (tp1),y                 ;
        sbc     (tp3),y                 ;
        tax                             ;
        lda     (tp2),y                 ;
        sbc     (tp4),y                 ;
        tay                             ;
        txa                             ;
        clc                             ;
        adc     mr0+k                   ;
        sta     mr0+k                   ;
        tya                             ;
        adc     mr0+k+1                 ;
        sta     mr0+k+1                 ;
        bcc     :+                      ;
        inc     mr0+k+2                 ;
:
.endmacro

; f_slow: A = F lo, X = F hi: F = mulhi16(M, S) by mul.s's umul16 (M < 2^15: 0, or not from
;   the exporter; the product is M * S, not |x.w| * F, so mr0-mr3 are free), M at recp
f_slow: ldy     #0                      ; ra = M
        lda     (recp),y                ;
        sta     ra0                     ;
        iny                             ;
        lda     (recp),y                ;
        sta     ra0+1                   ;
        lda     _mv_s                   ; rf = S
        sta     rf0                     ;
        lda     _mv_s+1                 ;
        sta     rf0+1                   ;
        jsr     umul16                  ; mr0-mr3 = M * S
        lda     mr0+1                   ; F = bytes 3:2 + bit 15
        asl                             ;
        lda     mr0+2                   ;
        adc     #0                      ;
        ldx     mr0+3                   ;
        bcc     :+                      ;
        inx                             ;
:       rts                             ;

; ----------------------------------------------------------------------------
; matvec_run: per row, the passes (dot_row's code, entered by jmp; the high pass returns to
;   mr_hi): S = (v - sum w^2) / 2 (x.w, |S| < 2^20), F = mulhi16(M, S) (fst tables, or four
;   products for M < 2^15), P = |S| * F (u48, mr0-mr5) by quarter squares (Y = |S|'s bytes
;   against the F pointer sets), y = rescale(S, F, sh), sh = e + sS - 16. Fast path: shifts
;   17..24 (all the model's but 16) and |S| < 2^16 (so P < 2^32): with k = sh - 16,
;   q = (P >> 16) >> k (a 16-bit shift, lsr mr3 / ror A, entered after 8 - k steps), c = the
;   last bit out, y = q + c for S >= 0; for S < 0 y = -(q + c) when P's low 16 bits are
;   nonzero (then P - 1 has P's upper bits). The shift ends in a jmp, patched per call, to
;   the store or add of +-(q + c): c is the carry into the first byte (for the add of
;   -(q + c), inverted to a borrow). Everything else: mul.s's rescale_tail.

_matvec_run:
        jsr     rows_begin              ;
        jsr     scale_begin             ;
        lda     _mv_ss                  ; sh - 17 = e + (sS - 33)
        sec                             ;
        sbc     #33                     ;
        sta     mr_ss+1                 ;
        lda     _mv_out                 ;
        sta     outp                    ;
        lda     _mv_out+1               ;
        sta     outp+1                  ;
        lda     _mv_rec                 ;
        sta     recp                    ;
        lda     _mv_rec+1               ;
        sta     recp+1                  ;
        lda     #<mr_hi                 ; the high pass returns here
        sta     hi_jmp+1                ;
        lda     #>mr_hi                 ;
        sta     hi_jmp+2                ;
        ldx     #0                      ; the shift's exits: store or add
        lda     _mv_add                 ;
        beq     :+                      ;
        ldx     #4                      ;
:       lda     mr_tgt,x                ;
        sta     mr_jp+1                 ;
        lda     mr_tgt+1,x              ;
        sta     mr_jp+2                 ;
        lda     mr_tgt+2,x              ;
        sta     mr_jn+1                 ;
        lda     mr_tgt+3,x              ;
        sta     mr_jn+2                 ;
        lda     rowcnt                  ; no rows: done
        ora     rowcnt+1                ;
        bne     :+                      ;
        rts                             ;
:       jmp     dot_row                 ; v = sum (x+w)^2 - sum x^2 (ends at mr_hi)
mr_hi:  stx     lx                      ; H = K1 + sum of high bytes (16-bit), as in hi_end
        sbc     lx                      ;
        tay                             ;
        txa                             ;
        sbc     #0                      ;
        tax                             ;
        tya                             ; v = L + 256 H + 65536 K2: byte 1
        clc                             ;
        adc     v0+1                    ;
        sta     v0+1                    ;
        txa                             ; byte 2 (in X)
mr_k2:  adc     #0                      ; (K byte 2, patched by rows_begin)
        tax                             ;
        ldy     #0                      ; 2S = v - sum w^2 (24-bit)
        sec                             ;
        lda     v0                      ;
        sbc     (wsqp),y                ;
        sta     ab                      ;
        iny                             ;
        lda     v0+1                    ;
        sbc     (wsqp),y                ;
        sta     ab+1                    ;
        iny                             ;
        txa                             ;
        sbc     (wsqp),y                ;
        sta     rneg                    ; rneg = sign
        bpl     mr_half                 ;
        tax                             ; |2S| = -2S
        sec                             ;
        lda     #0                      ;
        sbc     ab                      ;
        sta     ab                      ;
        lda     #0                      ;
        sbc     ab+1                    ;
        sta     ab+1                    ;
        txa                             ;
        eor     #$FF                    ;
        adc     #0                      ;
mr_half: lsr                            ; |S| = |2S| / 2 (2S is even)
        sta     ab+2                    ;
        ror     ab+1                    ;
        ror     ab                      ;
        ldy     #1                      ; F: M hi
        lda     (recp),y                ;
        bmi     mr_fst                  ;
        jsr     f_slow                  ; M < 2^15 (0, or not from the exporter): products
mr_setf: sta     tp1                    ; F lo (A) -> tp
        sta     tp2                     ;
        eor     #$FF                    ;
        sta     tp3                     ;
        sta     tp4                     ;
        txa                             ; F hi (X)
        jmp     mr_seth                 ;
mr_fst: tax                             ;
        dey                             ; M lo
        lda     (recp),y                ;
        tay                             ;
        lda     fst1,y                  ; T'[m] = m * S + 2^15: T'[lo] + 256 T'[hi] =
        clc                             ; M * S + 2^15 + 2^23, so F = its bytes 3:2 - 128
        adc     fst0-128,x              ; byte 1 = T'1[lo] + T'0[hi]: the carry
        lda     fst2,y                  ; byte 2 = T'2[lo] + T'1[hi] + carry
        adc     fst1,x                  ;
        eor     #$80                    ; F lo = byte 2 - 128 (-> tp)
        sta     tp1                     ;
        sta     tp2                     ;
        eor     #$FF                    ;
        sta     tp3                     ;
        sta     tp4                     ;
        tay                             ; Y = ~F lo: bit 7 clear = a borrow
        lda     fst2,x                  ; byte 3 = T'2[hi] + carry
        adc     #0                      ;
        cpy     #$80                    ; C = no borrow
        sbc     #0                      ; F hi
mr_seth: sta     up1                    ; F hi (A) -> up
        sta     up2                     ;
        eor     #$FF                    ;
        sta     up3                     ;
        sta     up4                     ;
        ldy     ab                      ; P = |S| * F: byte 0 of |S|
        sec                             ; * F hi at byte 1
        lda     (up1),y                 ;
        sbc     (up3),y                 ;
        sta     mr0+1                   ;
        lda     (up2),y                 ;
        sbc     (up4),y                 ;
        sta     mr0+2                   ;
        sec                             ; * F lo at byte 0
        lda     (tp1),y                 ;
        sbc     (tp3),y                 ;
        sta     mr0                     ;
        lda     (tp2),y                 ;
        sbc     (tp4),y                 ;
        clc                             ;
        adc     mr0+1                   ;
        sta     mr0+1                   ;
        bcc     :+                      ;
        inc     mr0+2                   ; (no carry out: 255 * 255 < $FF00)
:       ldy     ab+1                    ; byte 1 (0: nothing to add)
        bne     mr_p1                   ;
        sty     mr0+3                   ;
        beq     mr_b2                   ; (always)
mr_p1:  ROWP    1                       ;
mr_b2:  ldy     ab+2                    ; byte 2 (0 for |x.w| < 2^16: then P < 2^32)
        bne     mr_p2                   ;
        ldy     #2                      ; sh - 17 = e + sS - 33
        lda     (recp),y                ;
        clc                             ;
mr_ss:  adc     #0                      ; (sS - 33, patched)
        cmp     #8                      ;
        bcs     mr_gen0                 ; sh outside 17..24 (C = 1)
        bit     rneg                    ;
        bpl     mr_fast                 ; (C = 0)
        ldx     mr0                     ; S < 0: P's low 16 bits must not be 0
        bne     mr_fneg                 ;
        ldx     mr0+1                   ;
        bne     mr_fneg                 ;
        sec                             ; (C = 1 for the adc below)
mr_gen0: ldx     #0                     ; P < 2^32
        stx     mr0+4                   ;
        adc     #16                     ; sh (C = 1)
mr_gen: sta     rsh                     ;
        lda     #0                      ;
        sta     mr0+5                   ;
        jsr     rescale_tail            ; ra0-ra3 = y
        ldy     #0                      ; out[r] = or += y
        ldx     #4                      ;
        lda     _mv_add                 ;
        bne     mr_gad                  ;
mr_gst: lda     ra0,y                   ;
        sta     (outp),y                ;
        iny                             ;
        dex                             ;
        bne     mr_gst                  ;
        beq     mr_gx                   ; (always)
mr_gad: clc                             ;
mr_ga:  lda     ra0,y                   ;
        adc     (outp),y                ;
        sta     (outp),y                ;
        iny                             ;
        dex                             ;
        bne     mr_ga                   ;
mr_gx:  jmp     mr_next                 ;
mr_p2:  ROWP    2                       ; |S| >= 2^16: rescale_tail
        ldy     #2                      ; sh = e + sS - 16
        lda     (recp),y                ;
        clc                             ;
        adc     _mv_ss                  ;
        sec                             ;
        sbc     #16                     ;
        jmp     mr_gen                  ;
mr_fneg: ora     #8                     ; the negative rows' shift (C = 0)
mr_fast: tax                            ; k - 1 (+ 8 for S < 0)
        ldy     shent,x                 ; enter the shifts after 8 - k of them
        sty     mr_br+1                 ;
        lda     mr0+2                   ; A = mr2
mr_br:  bcc     mr_chp                  ; (offset patched; C = 0 always)
mr_chp: .repeat 8                       ; S >= 0: mr3:A >>= 1 (7 cycles each)
        lsr     mr0+3                   ;
        ror                             ;
        .endrepeat
mr_jp:  jmp     mr_pst                  ; (mr_pst or mr_pad, patched)
mr_chn: .repeat 8                       ; S < 0
        lsr     mr0+3                   ;
        ror                             ;
        .endrepeat
mr_jn:  jmp     mr_nst                  ; (mr_nst or mr_nad, patched)
        .assert mr_chn - mr_chp = 27, error, "dot8.s: shent assumes 8 shifts of 3 bytes + jmp"

; the shift's exits: A = q lo, mr3 = q hi, C = c (the bit shifted out last); y = +-(q + c)
mr_pst: ldy     #0                      ; out[r] = q + c
        adc     #0                      ;
        sta     (outp),y                ;
        iny                             ;
        lda     mr0+3                   ;
        adc     #0                      ;
        sta     (outp),y                ;
        iny                             ;
        lda     #0                      ; (q + c <= 2^15)
        sta     (outp),y                ;
        iny                             ;
        sta     (outp),y                ;
        jmp     mr_next                 ;
mr_nst: ldy     #0                      ; out[r] = -(q + c) = ~(q - 1 + c)
        sbc     #0                      ;
        eor     #$FF                    ;
        sta     (outp),y                ;
        iny                             ;
        lda     mr0+3                   ;
        sbc     #0                      ;
        eor     #$FF                    ;
        sta     (outp),y                ;
        iny                             ;
        lda     #0                      ; $FF, or 0 for q + c = 0 (a borrow)
        sbc     #0                      ;
        eor     #$FF                    ;
        sta     (outp),y                ;
        iny                             ;
        sta     (outp),y                ;
        jmp     mr_next                 ;
mr_pad: ldy     #0                      ; out[r] += q + c
        adc     (outp),y                ;
        sta     (outp),y                ;
        iny                             ;
        lda     mr0+3                   ;
        adc     (outp),y                ;
        sta     (outp),y                ;
        bcc     mr_next                 ; no carry: bytes 2, 3 stay
        iny                             ;
        lda     (outp),y                ;
        adc     #0                      ;
        sta     (outp),y                ;
        iny                             ;
        lda     (outp),y                ;
        adc     #0                      ;
        sta     (outp),y                ;
        jmp     mr_next                 ;
mr_nad: rol                             ; out[r] -= q + c: C = 1 - c (the borrow), A = q lo
        eor     #1                      ;
        ror                             ;
        sta     mr0+2                   ;
        ldy     #0                      ;
        lda     (outp),y                ;
        sbc     mr0+2                   ;
        sta     (outp),y                ;
        iny                             ;
        lda     (outp),y                ;
        sbc     mr0+3                   ;
        sta     (outp),y                ;
        bcs     mr_next                 ; no borrow: bytes 2, 3 stay
        iny                             ;
        lda     (outp),y                ;
        sbc     #0                      ;
        sta     (outp),y                ;
        iny                             ;
        lda     (outp),y                ;
        sbc     #0                      ;
        sta     (outp),y                ;
mr_next:
        lda     outp                    ; out += 4
        clc                             ;
        adc     #4                      ;
        sta     outp                    ;
        bcc     :+                      ;
        inc     outp+1                  ;
        clc                             ;
:       lda     recp                    ; rec += stride (C = 0)
        adc     _mv_rec_stride          ;
        sta     recp                    ;
        bcc     :+                      ;
        inc     recp+1                  ;
        clc                             ;
:       lda     wsqp                    ; wsq += 3 (C = 0)
        adc     #3                      ;
        sta     wsqp                    ;
        bcc     :+                      ;
        inc     wsqp+1                  ;
:       inc     rowcnt                  ; rows counted up to 0
        beq     :+                      ;
        jmp     dot_row                 ;
:       inc     rowcnt+1                ;
        beq     :+                      ;
        jmp     dot_row                 ;
:       rts                             ;

; ----------------------------------------------------------------------------
; the unrolled kernel: column j's operands are patched by matvec_patch

; PASS sq: one pass over table sq, COLS columns of 9 bytes (lo_at), entered at column COLS - n
; with A = X = C = 0; leaves the sum of the bytes as A + 255 X + C
.macro  PASS    sq
        .repeat COLS, J
        ldy     wrow+J                  ; u = w + 128 (index)
        adc     sq+128,y                ; + a byte of (x_j + w)^2 (operand patched: sq + 128 + x_j)
        bcc     :+                      ;
        inx                             ; count the carry (C stays set: +1 next add)
:       .endrepeat
.endmacro

lo_col: PASS    sq2lo                   ; low bytes of the squares
        jmp     lo_end                  ;
hi_col: PASS    sq2hi                   ; high bytes
hi_jmp: jmp     hi_end                  ; (hi_end, or mr_hi in matvec_run: patched)
HI_LO   = hi_col - lo_col               ; from a column of the low pass to the same in the high
        .assert HI_LO = 9 * COLS + 3, error, "dot8.s: a kernel column is not 9 bytes"
        .assert <HI_LO + 5 < 256, error, "dot8.s: matvec_patch reaches the high pass by (ptr2),y"
        .assert <(sq2hi-sq2lo) = 0, error, "dot8.s: matvec_patch: sq2hi = sq2lo + whole pages"

        .segment "RODATA"
shent:  .byte   21, 18, 15, 12, 9, 6, 3, 0  ; matvec_run: bytes of shifts to skip, k = 1..8,
        .byte   48, 45, 42, 39, 36, 33, 30, 27 ; then for S < 0 (the second chain)
mr_tgt: .addr   mr_pst, mr_nst, mr_pad, mr_nad ; matvec_run: the shift's exits, store / add
lo_at:  .repeat COLS+1, J               ; address of column J's code, low bytes then high
        .byte   <(lo_col + 9 * J)
        .endrepeat
        .repeat COLS+1, J
        .byte   >(lo_col + 9 * J)
        .endrepeat
