;
; reu_sim.s - sim65 stand-in for reu.s's reu_dma: REU -> C64 copies from _fake_reu
;
; sim65 has no REU; its $DF00 page is plain RAM, so dot8.s writes the REU registers as on a
; C64 and this routine performs the fetch: REU address (16 bits used) indexes _fake_reu.
; Registers after it as on a 17xx (VICE): with autoload (command bit 5) as written; without,
; the C64 and REU addresses (24-bit) advanced by the length, and the length reads 1.
;
; C prototype: none (asm entry, as in reu.s).  extern uint8_t fake_reu[];
; Contract: in: A = command (fetch only), REU_* registers set (length 1..255)
;           clobbers: A X Y, ptr3, ptr4
;
        .include "zeropage.inc"         ; ptr3, ptr4
        .include "reu.inc"              ; REU register names

        .export reu_dma
        .import _fake_reu

reu_dma:
        and     #$20                    ; autoload?
        pha                             ;
        clc                             ; ptr3 = fake_reu + REU address
        lda     REU_REUADDR             ;
        adc     #<_fake_reu             ;
        sta     ptr3                    ;
        lda     REU_REUADDR+1           ;
        adc     #>_fake_reu             ;
        sta     ptr3+1                  ;
        lda     REU_C64ADDR             ; ptr4 = C64 address
        sta     ptr4                    ;
        lda     REU_C64ADDR+1           ;
        sta     ptr4+1                  ;
        ldy     #0                      ;
        ldx     REU_LENGTH              ; length (< 256 here)
@copy:  lda     (ptr3),y                ;
        sta     (ptr4),y                ;
        iny                             ;
        dex                             ;
        bne     @copy                   ;
        pla                             ; autoload: registers as written
        bne     @done                   ;
        clc                             ; else C64 address += length
        lda     REU_C64ADDR             ;
        adc     REU_LENGTH              ;
        sta     REU_C64ADDR             ;
        bcc     :+                      ;
        inc     REU_C64ADDR+1           ;
:       clc                             ; REU address += length (24-bit)
        lda     REU_REUADDR             ;
        adc     REU_LENGTH              ;
        sta     REU_REUADDR             ;
        bcc     :+                      ;
        inc     REU_REUADDR+1           ;
        bne     :+                      ;
        inc     REU_REUADDR+2           ;
:       lda     #1                      ; length 1
        sta     REU_LENGTH              ;
        lda     #0                      ;
        sta     REU_LENGTH+1            ;
@done:  rts                             ;
