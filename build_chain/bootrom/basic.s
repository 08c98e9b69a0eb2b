;
; basic.s - the BASIC ROM filler of gui64's open boot ROMs (8192 bytes at $A000)
;
; VICE needs some 8192-byte file as its BASIC ROM. There is no BASIC here: the open KERNAL
; never jumps into this ROM, and llama64.prg banks it out ($01 = $35) before it runs.
; The cold and warm start vectors sit where the real ROM has them and lead to the KERNAL's
; reset, in case a program jumps through them.
;
; Contract: none (a vector table, one instruction and a signature).
;
        .segment "RODATA"

cold:   .addr   restart                 ; $A000 cold start vector
warm:   .addr   restart                 ; $A002 warm start vector
restart:
        jmp     ($FFFC)                 ; the KERNAL's reset, through the CPU's vector
        .byte   "GUI64 OPEN BASIC FILLER - NO BASIC HERE", 0
