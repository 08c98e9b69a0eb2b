;
; cia.s - a 32-bit cycle counter from CIA2's timers A and B chained (real C64 and VICE)
;
; Timer A counts system clock cycles down from $FFFF and reloads; timer B counts timer A's
; underflows down from $FFFF. Together they are a 32-bit down counter V = TB:TA that drops
; by one per cycle, so cycles = $FFFFFFFF - V counts up from cycles_start(). It wraps after
; 2^32 cycles (72 minutes on a PAL C64).
;
; C prototypes:
;   void cycles_start(void);
;   uint32_t cycles_now(void);
;
; Contract:
;   cycles_start  in: -          out: -                  clobbers: A
;   cycles_now    in: -          out: A/X/sreg = cycles  clobbers: A X Y
;                 reads TB low before and after TA and retries when it moved (also when
;                 TA's high byte moved between its two reads), so the 32 bits belong together
;
; Coupling: CIA2 interrupts must stay off (start.s): a timer underflow would raise an NMI.
;
        .include "zeropage.inc"         ; sreg
        .include "c64.inc"              ; CIA2 register names

        .export _cycles_start, _cycles_now

        .segment "CODE"

_cycles_start:
        lda     #$00                    ; stop both timers
        sta     CIA2_CRA                ;
        sta     CIA2_CRB                ;
        lda     #$FF                    ; latches $FFFF
        sta     CIA2_TA                 ;
        sta     CIA2_TA+1               ;
        sta     CIA2_TB                 ;
        sta     CIA2_TB+1               ;
        lda     #%01010001              ; TB: count TA underflows, force load, start
        sta     CIA2_CRB                ;
        lda     #%00010001              ; TA: count cycles, continuous, force load, start
        sta     CIA2_CRA                ;
        rts                             ;

_cycles_now:
@again: ldy     CIA2_TB                 ; TB low (first)
        lda     CIA2_TA+1               ; TA high
        sta     tmp                     ;
        ldx     CIA2_TA                 ; TA low
        lda     CIA2_TA+1               ; TA high again: moved -> TA low wrapped
        cmp     tmp                     ;
        bne     @again                  ;
        lda     CIA2_TB+1               ; TB high
        cpy     CIA2_TB                 ; TB low (second): moved -> TA underflowed
        bne     @again                  ;
        eor     #$FF                    ; cycles = ~V: byte 3 = ~TB high
        sta     sreg+1                  ;
        tya                             ; byte 2 = ~TB low
        eor     #$FF                    ;
        sta     sreg                    ;
        lda     tmp                     ; byte 1 = ~TA high
        eor     #$FF                    ;
        sta     tmp                     ;
        txa                             ; byte 0 = ~TA low
        eor     #$FF                    ;
        ldx     tmp                     ;
        rts                             ;

        .segment "BSS"
tmp:    .res    1                       ; TA high byte of this read
