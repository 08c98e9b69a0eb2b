;
; vic.s - the VIC-II set-up for llama64's text screen, and PAL/NTSC detection
;
; C prototypes:
;   void vic_text_mode(void);   text mode, screen $0400, lower/upper case charset, colours
;   uint8_t vic_is_pal(void);   1 on a PAL VIC (312 raster lines), 0 on NTSC (262/263)
;
; Contract:
;   vic_text_mode  in: -   out: -                 clobbers: A
;   vic_is_pal     in: -   out: A = 0/1, X = 0    clobbers: A X; takes up to 2 frames
;
; Coupling: screen.c writes screen RAM at $0400 and colour RAM; this file picks the bank
; (CIA2 port A bits 0-1) and $D018 so that the VIC shows them.
;
        .include "c64.inc"              ; VIC / CIA2 register names

        .export _vic_text_mode, _vic_is_pal

BORDER      = 14                        ; light blue
BACKGROUND  = 6                         ; blue

        .segment "CODE"

_vic_text_mode:
        lda     CIA2_DDRA               ; bank bits are outputs
        ora     #%00000011              ;
        sta     CIA2_DDRA               ;
        lda     CIA2_PRA                ; VIC bank 0: $0000-$3FFF
        ora     #%00000011              ;
        sta     CIA2_PRA                ;
        lda     #$1B                    ; text mode, 25 rows, screen on
        sta     VIC_CTRL1               ;
        lda     #$C8                    ; 40 columns, no multicolour
        sta     VIC_CTRL2               ;
        lda     #$17                    ; screen $0400, charset $1800 (lower/upper case)
        sta     VIC_VIDEO_ADR           ;
        lda     #BORDER                 ;
        sta     VIC_BORDERCOLOR         ;
        lda     #BACKGROUND             ;
        sta     VIC_BG_COLOR0           ;
        lda     #0                      ; sprites off
        sta     VIC_SPR_ENA             ;
        rts                             ;

_vic_is_pal:
@top:   bit     VIC_CTRL1               ; wait for a raster line >= 256
        bpl     @top                    ;
        ldx     #0                      ; highest low byte seen so far
@low:   lda     VIC_HLINE               ;
        bit     VIC_CTRL1               ; back below 256: X holds the last line's low byte
        bpl     @done                   ;
        tax                             ;
        jmp     @low                    ;
@done:  cpx     #$20                    ; PAL ends at $137, NTSC at $106/$105
        lda     #0                      ;
        rol     a                       ; carry set (X >= $20) -> 1
        ldx     #0                      ;
        rts                             ;
