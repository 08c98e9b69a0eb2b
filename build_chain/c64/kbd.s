;
; kbd.s - read the C64 keyboard matrix through CIA1 (no KERNAL, no interrupts)
;
; Port A ($DC00) drives one column low at a time; port B ($DC01) reads the 8 rows (0 =
; pressed). The C side (keys.c) turns the 64 bits into key codes.
;
; C prototype:
;   void __fastcall__ kbd_matrix(uint8_t* out);   out[col] bit row = 1 when key (col,row) is down
;
; Contract:
;   in:  out in A/X (8 bytes)      out: out[0..7] filled, columns deselected ($FF)
;   clobbers: A X Y, ptr1
;
; Coupling: joystick 1 shares port B; moving it while reading shows up as keys.
;
        .include "zeropage.inc"         ; ptr1
        .include "c64.inc"              ; CIA1 register names

        .export _kbd_matrix

        .segment "CODE"

_kbd_matrix:
        sta     ptr1                    ; out
        stx     ptr1+1                  ;
        lda     #$FF                    ; port A drives the columns
        sta     CIA1_DDRA               ;
        lda     #$00                    ; port B reads the rows
        sta     CIA1_DDRB               ;
        ldy     #0                      ; column 0..7
        lda     #%11111110              ; column select: one bit low
@col:   sta     CIA1_PRA                ;
        pha                             ;
        lda     CIA1_PRB                ; rows, 0 = pressed
        cmp     CIA1_PRB                ; read twice: keep only a settled value
        bne     @col2                   ;
        eor     #$FF                    ; 1 = pressed
        sta     (ptr1),y                ;
        pla                             ;
        sec                             ; next column: rotate the low bit left
        rol     a                       ;
        iny                             ;
        cpy     #8                      ;
        bne     @col                    ;
        lda     #$FF                    ; deselect all columns
        sta     CIA1_PRA                ;
        rts                             ;
@col2:  pla                             ; unsettled: read this column again
        jmp     @col                    ;
