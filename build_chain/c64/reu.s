;
; reu.s - REU detection, size probe and DMA transfers (REU <-> C64 RAM)
;
; Detection: the REU's address registers read back what was written; open I/O does not.
; Size: REUs of 2^k bytes wrap addresses modulo their size. With 0 stored at REU address 0,
; a marker stored at 128K, 256K, ... 8M shows up at address 0 at the first power of two
; that equals the size; no wrap up to 8M means 16M. Every byte the probe overwrites is
; fetched first and stored back afterwards.
;
; C prototypes:
;   uint32_t reu_size_detect(void);                                  0 = no REU
;   void __fastcall__ reu_fetch(void* dst, uint32_t reu, uint16_t len);   REU -> C64
;   void __fastcall__ reu_stash(const void* src, uint32_t reu, uint16_t len); C64 -> REU
;
; Contract:
;   reu_size_detect  in: -                   out: A/X/sreg = size in bytes   clobbers: A X Y, ptr1
;   reu_fetch/stash  in: len A/X; reu (4 bytes), dst/src (2 bytes) on the C stack
;                    out: C stack popped (6 bytes); len 0 moves nothing   clobbers: A X Y
;   The REU address's top byte is ignored (24-bit REU addresses).
;
; Coupling: $01 must keep I/O visible ($35, start.s). A DMA stops the CPU for len cycles
; (+ a few); it moves one byte per cycle, so 1 KB costs about 1030 cycles.
;
        .include "zeropage.inc"         ; sp, sreg, ptr1
        .include "reu.inc"              ; REU register names

        .export _reu_size_detect, _reu_fetch, _reu_stash, reu_dma

        .segment "CODE"

; ----------------------------------------------------------------------------
; reu_fetch / reu_stash: C stack = reu (4, at sp+0..3), address (2, at sp+4..5); len in A/X

_reu_fetch:
        ldy     #REU_CMD_FETCH          ; REU -> C64
        bne     xfer                    ; (always)
_reu_stash:
        ldy     #REU_CMD_STASH          ; C64 -> REU
xfer:   sta     REU_LENGTH              ; length low
        stx     REU_LENGTH+1            ; length high
        ora     REU_LENGTH+1            ; len == 0: nothing to move
        beq     @pop                    ;
        sty     ptr1                    ; keep the command
        ldy     #0                      ; REU address bytes 0..2
        lda     (sp),y                  ;
        sta     REU_REUADDR             ;
        iny                             ;
        lda     (sp),y                  ;
        sta     REU_REUADDR+1           ;
        iny                             ;
        lda     (sp),y                  ;
        sta     REU_REUADDR+2           ;
        ldy     #4                      ; C64 address
        lda     (sp),y                  ;
        sta     REU_C64ADDR             ;
        iny                             ;
        lda     (sp),y                  ;
        sta     REU_C64ADDR+1           ;
        lda     ptr1                    ; command
        jsr     reu_dma                 ;
@pop:   lda     sp                      ; drop the 6 argument bytes
        clc                             ;
        adc     #6                      ;
        sta     sp                      ;
        bcc     @ok                     ;
        inc     sp+1                    ;
@ok:    rts                             ;

; reu_dma: addresses and length already in the REU; A = command. For asm callers.
;   in: A = REU_CMD_FETCH / REU_CMD_STASH    clobbers: A
reu_dma:
        pha                             ; keep the command
        lda     #0                      ;
        sta     REU_IRQMASK             ; no REU interrupts
        sta     REU_CONTROL             ; both addresses count up
        pla                             ;
        sta     REU_COMMAND             ; go: the CPU halts until the DMA is done
        rts                             ;

; ----------------------------------------------------------------------------
; one-byte transfers between `byte` and REU address (bank, 0, 0) for the size probe
;   in: A = REU bank, Y = command    clobbers: A

probe1: sta     REU_REUADDR+2           ; bank
        lda     #0                      ;
        sta     REU_REUADDR             ;
        sta     REU_REUADDR+1           ;
        sta     REU_LENGTH+1            ;
        lda     #1                      ; one byte
        sta     REU_LENGTH              ;
        lda     #<byte                  ;
        sta     REU_C64ADDR             ;
        lda     #>byte                  ;
        sta     REU_C64ADDR+1           ;
        tya                             ;
        jmp     reu_dma                 ;

_reu_size_detect:
        lda     #$55                    ; write two address registers...
        sta     REU_C64ADDR             ;
        lda     #$AA                    ;
        sta     REU_C64ADDR+1           ;
        lda     REU_C64ADDR             ; ...and read them back
        cmp     #$55                    ;
        bne     @none                   ;
        lda     REU_C64ADDR+1           ;
        cmp     #$AA                    ;
        bne     @none                   ;

        lda     #0                      ; save REU[0]
        ldy     #REU_CMD_FETCH          ;
        jsr     probe1                  ;
        lda     byte                    ;
        sta     save0                   ;
        lda     #0                      ; REU[0] = 0
        sta     byte                    ;
        ldy     #REU_CMD_STASH          ;
        jsr     probe1                  ;

        lda     #2                      ; bank 2 = 128K
        sta     bank                    ;
@probe: lda     bank                    ; save REU[bank:0] (A = bank: probe1
        ldy     #REU_CMD_FETCH          ; leaves the command in A)
        jsr     probe1                  ;
        lda     byte                    ;
        sta     savek                   ;
        lda     #$A5                    ; REU[bank:0] = marker
        sta     byte                    ;
        lda     bank                    ;
        ldy     #REU_CMD_STASH          ;
        jsr     probe1                  ;
        lda     #0                      ; read REU[0]
        ldy     #REU_CMD_FETCH          ;
        jsr     probe1                  ;
        lda     byte                    ;
        cmp     #$A5                    ; wrapped: the size is bank * 64K
        beq     @found                  ;
        lda     savek                   ; restore REU[bank:0]
        sta     byte                    ;
        lda     bank                    ;
        ldy     #REU_CMD_STASH          ;
        jsr     probe1                  ;
        asl     bank                    ; next power of two
        bne     @probe                  ; up to bank $80 (8M); past it: 16M
@found: lda     save0                   ; restore REU[0] (also the marker's copy)
        sta     byte                    ;
        lda     #0                      ;
        ldy     #REU_CMD_STASH          ;
        jsr     probe1                  ;
        lda     bank                    ; size = bank << 16 (bank 0 after 8M = 16M)
        sta     sreg                    ;
        ldx     #0                      ;
        stx     sreg+1                  ;
        cmp     #0                      ;
        bne     @ret                    ;
        inc     sreg+1                  ; 16M = $01000000
@ret:   lda     #0                      ;
        rts                             ;

@none:  lda     #0                      ; no REU: 0
        tax                             ;
        sta     sreg                    ;
        sta     sreg+1                  ;
        rts                             ;

        .segment "BSS"
byte:   .res    1                       ; the byte moved by probe1
save0:  .res    1                       ; original REU[0]
savek:  .res    1                       ; original REU[bank:0]
bank:   .res    1                       ; probed bank (64K units)
