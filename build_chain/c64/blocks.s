;
; blocks.s - the parameter block (host -> C64) and status block (C64 -> host), 256 bytes each
;
; The host finds them by the labels `_params` and `_status` in the label file; their byte
; layout is build_chain/blocks.py (C offsets: generated blocks.h and fields.h).
;
; C prototype:  extern uint8_t params[PARAMS_SIZE];  extern uint8_t status[STATUS_SIZE];
;
; Contract: storage only. Neither block is part of the PRG file and the start-up does not
; clear them: the host may write the parameter block before it sets PC = start.
;
        .export _params, _status

        .segment "PARAMS"
_params: .res   256                     ; parameter block (blocks.PARAMS_SIZE)

        .segment "STATUS"
_status: .res   256                     ; status block (blocks.STATUS_SIZE)
