;
; start.s - llama64.prg's BASIC stub and start-up: take the machine over, then call main()
;
; LOAD"LLAMA64",8 and RUN on a C64 reach `start` through the stub's SYS; the host injects the
; PRG and sets PC = `start` (label file). Either way the start-up uses no KERNAL call: it
; runs the same on the Commodore ROMs and on the open boot ROMs.
;
; C prototype: none (entry point); main() is `int main(void)`.
;
; Contract:
;   in:   nothing (any ROM configuration, any stack, interrupts on or off)
;   out:  never returns; after main() returns it loops at `halt`
;   sets: I flag (no interrupts, ever), D flag clear, $01 = $35 (RAM at $A000-$BFFF and
;         $E000-$FFFF, I/O at $D000), CIA interrupts off, VIC raster interrupt off,
;         NMI/IRQ/RESET vectors at $FFFA in RAM (RTI / RTI / start), BSS zeroed,
;         cc65 C stack pointer `sp` = top of CSTACK
;   clobbers: everything
;
; Coupling: the memory areas come from llama64.cfg (__BSS_*__, __CSTACK_*__); the parameter
; block is not touched here (the host may have written it before setting PC).
;
        .include "zeropage.inc"         ; cc65 runtime zero page: sp, ptr1
        .include "c64.inc"              ; VIC / CIA register names

        .export start, halt, __STARTUP__ : absolute = 1
        .import _main
        .import __BSS_RUN__, __BSS_SIZE__
        .import __CSTACK_START__, __CSTACK_SIZE__

STACK_TOP = __CSTACK_START__ + __CSTACK_SIZE__  ; first byte above the C stack

; ----------------------------------------------------------------------------
; BASIC stub: 10 SYS2061

        .segment "LOADADDR"
        .addr   $0801                   ; load address of the PRG

        .segment "EXEHDR"
        .addr   @next                   ; link to the next BASIC line
        .word   10                      ; line number
        .byte   $9E                     ; SYS token
        .byte   "2061"                  ; start's address in decimal (asserted below)
        .byte   0                       ; end of line
@next:  .addr   0                       ; end of program

; ----------------------------------------------------------------------------

        .segment "STARTUP"

start:  sei                             ; we own the machine: no interrupts
        .assert start = 2061, error, "the SYS line must name start's address"
        cld                             ; binary arithmetic
        ldx     #$FF                    ; fresh 6502 stack
        txs                             ;
        lda     #$35                    ; RAM at $A000/$E000, I/O stays
        sta     $01                     ; (latch first, as the KERNAL does)
        lda     #$2F                    ; port bits 0-3, 5 are outputs
        sta     $00                     ;

        lda     #$7F                    ; no CIA interrupts (CIA2 would raise NMIs)
        sta     CIA1_ICR                ;
        sta     CIA2_ICR                ;
        lda     CIA1_ICR                ; acknowledge pending ones
        lda     CIA2_ICR                ;
        lda     #$00                    ; no VIC interrupts
        sta     VIC_IMR                 ;
        lda     #$FF                    ; acknowledge the VIC
        sta     VIC_IRR                 ;

        lda     #<rti_                  ; NMI (RESTORE key) -> RTI
        sta     $FFFA                   ;
        lda     #>rti_                  ;
        sta     $FFFB                   ;
        lda     #<start                 ; RESET -> start (only reached by a CPU reset
        sta     $FFFC                   ; with the KERNAL banked out)
        lda     #>start                 ;
        sta     $FFFD                   ;
        lda     #<rti_                  ; IRQ / BRK -> RTI
        sta     $FFFE                   ;
        lda     #>rti_                  ;
        sta     $FFFF                   ;

        lda     #<__BSS_RUN__           ; zero BSS: ptr1 walks it page by page
        sta     ptr1                    ;
        lda     #>__BSS_RUN__           ;
        sta     ptr1+1                  ;
        lda     #0                      ;
        tay                             ;
        ldx     #>__BSS_SIZE__          ; whole pages first
        beq     @part                   ;
@page:  sta     (ptr1),y                ;
        iny                             ;
        bne     @page                   ;
        inc     ptr1+1                  ;
        dex                             ;
        bne     @page                   ;
@part:  ldx     #<__BSS_SIZE__          ; then the last partial page
        beq     @done                   ;
@byte:  sta     (ptr1),y                ;
        iny                             ;
        dex                             ;
        bne     @byte                   ;
@done:
        lda     #<STACK_TOP             ; C stack grows down from the
        sta     sp                      ; top of CSTACK
        lda     #>STACK_TOP             ;
        sta     sp+1                    ;

        jsr     _main                   ; the program
halt:   jmp     halt                    ; main() does not return; if it does, stay here

rti_:   rti                             ; interrupts that should not happen
