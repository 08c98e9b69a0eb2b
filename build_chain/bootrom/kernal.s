;
; kernal.s - gui64's open KERNAL: 8192 bytes at $E000 that start a C64 and idle for the host
;
; VICE cannot start without a KERNAL, and Debian's VICE ships none. This one does what a
; program injected through the monitor needs: CPU port, CIAs, VIC, SID and screen set up
; like the Commodore KERNAL leaves them (screen at $0400, upper case charset, light blue
; on blue), a banner, then a loop at `idle` where the host stops the machine with a
; checkpoint and injects llama64.prg. The jump table at $FF81..$FFF3 holds harmless stubs
; so a program that calls the KERNAL does not run into the vectors.
;
; C prototype: none (ROM).
;
; Contract:
;   reset   in:  nothing (CPU reset)     out: the loop at `idle`, I flag set, no IRQs enabled
;           clobbers: A X Y, zero page $02-$FF, $0200-$03FF, screen and colour RAM
;   stubs   in:  as the KERNAL call      out: C = 0; GETIN/CHRIN A = 0; IOBASE, SCREEN,
;           MEMTOP, MEMBOT as the Commodore KERNAL; all others leave A X Y alone
;   irq/nmi acknowledge the VIC and CIA1 and return (nothing enables them here)
;
; Coupling: the host finds `idle` in the label file of this ROM (build_boot_roms), never by a
; hard-coded address.
;
        .include "c64.inc"              ; cc65's names of VIC, SID and CIA registers

        .export idle, idle_end, reset

BANNER_ROW    = 1                       ; screen row of the banner
LIGHT_BLUE    = 14                      ; text and border colour
BLUE          = 6                       ; background colour
SCREEN        = $0400                   ; text screen
COLOR_RAM     = $D800                   ; colour RAM
BANNER_AT     = SCREEN + BANNER_ROW*40 - 1 ; banner's first cell, minus 1

; screen codes of the upper case bank for the banner text
        .charmap $41, $01               ; A
        .charmap $42, $02               ; B
        .charmap $43, $03               ; C
        .charmap $44, $04               ; D
        .charmap $45, $05               ; E
        .charmap $46, $06               ; F
        .charmap $47, $07               ; G
        .charmap $48, $08               ; H
        .charmap $49, $09               ; I
        .charmap $4A, $0A               ; J
        .charmap $4B, $0B               ; K
        .charmap $4C, $0C               ; L
        .charmap $4D, $0D               ; M
        .charmap $4E, $0E               ; N
        .charmap $4F, $0F               ; O
        .charmap $50, $10               ; P
        .charmap $51, $11               ; Q
        .charmap $52, $12               ; R
        .charmap $53, $13               ; S
        .charmap $54, $14               ; T
        .charmap $55, $15               ; U
        .charmap $56, $16               ; V
        .charmap $57, $17               ; W
        .charmap $58, $18               ; X
        .charmap $59, $19               ; Y
        .charmap $5A, $1A               ; Z
        .charmap '@', 0

        .segment "CODE"

; ----------------------------------------------------------------------------
; reset: set the machine up, print the banner, idle

reset:  sei                             ; no interrupts, ever
        cld                             ; binary arithmetic
        ldx     #$FF                    ; empty stack
        txs                             ;
        lda     #$37                    ; CPU port latch first: BASIC, KERNAL, I/O
        sta     $01                     ; (the latch is 0 at power-on)
        lda     #$2F                    ; then bits 0-3, 5 become outputs
        sta     $00                     ;

        lda     #$7F                    ; CIAs: no interrupt sources
        sta     CIA1_ICR                ;
        sta     CIA2_ICR                ;
        lda     CIA1_ICR                ; acknowledge any pending ones
        lda     CIA2_ICR                ;
        lda     #$00                    ; all CIA timers stopped
        sta     CIA1_CRA                ;
        sta     CIA1_CRB                ;
        sta     CIA2_CRA                ;
        sta     CIA2_CRB                ;
        sta     CIA1_DDRB               ; keyboard rows are inputs
        lda     #$FF                    ; keyboard columns are outputs
        sta     CIA1_DDRA               ;
        lda     #$7F                    ; no column selected
        sta     CIA1_PRA                ;
        lda     #$3F                    ; CIA2 port A: serial bus and VIC bank bits out
        sta     CIA2_DDRA               ;
        lda     #$17                    ; VIC bank 0 ($0000-$3FFF), serial bus idle
        sta     CIA2_PRA                ;

        ldx     #vic_end - vic_init - 1 ; VIC registers $D000..$D02E from the table
@vic:   lda     vic_init,x              ;
        sta     VIC,x                   ;
        dex                             ;
        bpl     @vic                    ;
        lda     #$FF                    ; acknowledge any VIC interrupt
        sta     VIC_IRR                 ;

        lda     #$00                    ; SID silent: all 25 write registers cleared
        ldx     #$18                    ;
@sid:   sta     SID,x                   ;
        dex                             ;
        bpl     @sid                    ;

        lda     #$00                    ; clear zero page $02-$FF and $0200-$03FF
        ldx     #$02                    ;
@zp:    sta     $00,x                   ;
        sta     $0200-2,x               ; (x-2 keeps $0200-$02FD; the rest below)
        sta     $0300-2,x               ;
        inx                             ;
        bne     @zp                     ;
        sta     $02FE                   ;
        sta     $02FF                   ;
        sta     $03FE                   ;
        sta     $03FF                   ;

        ldx     #$00                    ; screen: spaces in light blue
@cls:   lda     #$20                    ;
        sta     SCREEN,x                ;
        sta     SCREEN+$100,x           ;
        sta     SCREEN+$200,x           ;
        sta     SCREEN+$2E8,x           ;
        lda     #LIGHT_BLUE             ;
        sta     COLOR_RAM,x             ;
        sta     COLOR_RAM+$100,x        ;
        sta     COLOR_RAM+$200,x        ;
        sta     COLOR_RAM+$2E8,x        ;
        inx                             ;
        bne     @cls                    ;

        ldx     #banner_end - banner    ; banner: 200 bytes, X counts down to 1
@ban:   lda     banner-1,x              ;
        sta     BANNER_AT,x             ;
        dex                             ;
        bne     @ban                    ;

idle:   jmp     idle                    ; the host stops here and injects its program
idle_end = idle + 2                     ; last byte of the idle loop (a checkpoint range)

; ----------------------------------------------------------------------------
; interrupts: nothing enables them; if one comes anyway, acknowledge and return

irq:    pha                             ; keep A
        lda     CIA1_ICR                ; acknowledge CIA1
        lda     #$FF                    ; acknowledge the VIC
        sta     VIC_IRR                 ;
        pla                             ;
        rti                             ;

nmi:    pha                             ; keep A
        lda     CIA2_ICR                ; acknowledge CIA2 (RESTORE needs nothing)
        pla                             ;
        rti                             ;

; ----------------------------------------------------------------------------
; KERNAL call stubs

stub:   clc                             ; "done, no error"
        rts                             ;

nokey:  lda     #$00                    ; GETIN / CHRIN: no character
        clc                             ;
        rts                             ;

iobase: ldx     #<CIA1                  ; IOBASE: CIA1 at $DC00
        ldy     #>CIA1                  ;
        rts                             ;

screen: ldx     #40                     ; SCREEN: 40 columns, 25 rows
        ldy     #25                     ;
        rts                             ;

memtop: ldx     #$00                    ; MEMTOP: BASIC RAM ends at $A000
        ldy     #$A0                    ;
        clc                             ;
        rts                             ;

membot: ldx     #$00                    ; MEMBOT: BASIC RAM starts at $0800
        ldy     #$08                    ;
        clc                             ;
        rts                             ;

        .segment "RODATA"

vic_init:                               ; $D000-$D02E as the Commodore KERNAL leaves them
        .byte   0, 0, 0, 0, 0, 0, 0, 0  ; sprite 0-3 positions
        .byte   0, 0, 0, 0, 0, 0, 0, 0  ; sprite 4-7 positions
        .byte   0                       ; $D010 sprite X bit 8
        .byte   $1B                     ; $D011 text mode, 25 rows, screen on
        .byte   0                       ; $D012 raster compare
        .byte   0, 0                    ; $D013/14 light pen
        .byte   0                       ; $D015 sprites off
        .byte   $C8                     ; $D016 40 columns
        .byte   0                       ; $D017 sprite Y expand
        .byte   $15                     ; $D018 screen $0400, upper case charset
        .byte   $0F                     ; $D019 interrupt flags (acknowledge)
        .byte   0                       ; $D01A no raster interrupts
        .byte   0, 0, 0                 ; $D01B-$D01D sprite priority, multicolour, X expand
        .byte   0, 0                    ; $D01E/1F collisions
        .byte   LIGHT_BLUE              ; $D020 border
        .byte   BLUE                    ; $D021 background
        .byte   1, 2, 3, 4, 0, 1, 2, 3  ; $D022-$D029 extra colours and sprite colours
        .byte   4, 5, 6, 7, 12          ; $D02A-$D02E
vic_end:

banner: .byte   "    **** GUI64 OPEN ROM V1 ****         "
        .byte   "                                        "
        .byte   " 64K RAM SYSTEM  WAITING FOR THE HOST   "
        .byte   "                                        "
        .byte   "READY.                                  "
banner_end:

; ----------------------------------------------------------------------------
; the KERNAL jump table, $FF81..$FFF3

        .segment "JUMPTAB"

        jmp     stub                    ; $FF81 CINT
        jmp     stub                    ; $FF84 IOINIT
        jmp     stub                    ; $FF87 RAMTAS
        jmp     stub                    ; $FF8A RESTOR
        jmp     stub                    ; $FF8D VECTOR
        jmp     stub                    ; $FF90 SETMSG
        jmp     stub                    ; $FF93 SECOND
        jmp     stub                    ; $FF96 TKSA
        jmp     memtop                  ; $FF99 MEMTOP
        jmp     membot                  ; $FF9C MEMBOT
        jmp     stub                    ; $FF9F SCNKEY
        jmp     stub                    ; $FFA2 SETTMO
        jmp     nokey                   ; $FFA5 ACPTR
        jmp     stub                    ; $FFA8 CIOUT
        jmp     stub                    ; $FFAB UNTLK
        jmp     stub                    ; $FFAE UNLSN
        jmp     stub                    ; $FFB1 LISTEN
        jmp     stub                    ; $FFB4 TALK
        jmp     nokey                   ; $FFB7 READST
        jmp     stub                    ; $FFBA SETLFS
        jmp     stub                    ; $FFBD SETNAM
        jmp     stub                    ; $FFC0 OPEN
        jmp     stub                    ; $FFC3 CLOSE
        jmp     stub                    ; $FFC6 CHKIN
        jmp     stub                    ; $FFC9 CHKOUT
        jmp     stub                    ; $FFCC CLRCHN
        jmp     nokey                   ; $FFCF CHRIN
        jmp     stub                    ; $FFD2 CHROUT
        jmp     stub                    ; $FFD5 LOAD
        jmp     stub                    ; $FFD8 SAVE
        jmp     stub                    ; $FFDB SETTIM
        jmp     nokey                   ; $FFDE RDTIM
        jmp     stub                    ; $FFE1 STOP
        jmp     nokey                   ; $FFE4 GETIN
        jmp     stub                    ; $FFE7 CLALL
        jmp     stub                    ; $FFEA UDTIM
        jmp     screen                  ; $FFED SCREEN
        jmp     stub                    ; $FFF0 PLOT
        jmp     iobase                  ; $FFF3 IOBASE

; ----------------------------------------------------------------------------
; CPU vectors

        .segment "VECTORS"

        .addr   nmi                     ; $FFFA NMI
        .addr   reset                   ; $FFFC RESET
        .addr   irq                     ; $FFFE IRQ / BRK
