"""Layer 6, hardware: Verilog, logic synthesis and calibration (the ``synth`` extra's code).

* :mod:`.rtl`: ``emit(dp)``, the Verilog of a datapath, traced from its behaviours;
* :mod:`.netlist`: a Yosys JSON gate netlist, simulated 64 vectors at a time;
* :mod:`.synth`: Yosys on the emitted RTL, its gates checked against the datapath;
* :mod:`.timing`: static timing of a netlist mapped to a liberty file;
* :mod:`.calibrate`: a library fitted to synthesis.

Imports the layers below it, :mod:`macgates.run` included; :mod:`.calibrate` also
:mod:`macgates.design`.
"""
