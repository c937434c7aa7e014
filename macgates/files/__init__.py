"""Layer 1, files: reading and writing the user's files safely (imports only :mod:`macgates.support`).

* :mod:`.yamlfile`: bounded YAML to plain data, errors as file:line;
* :mod:`.outputs`: atomic writes that never overwrite an input, path checks;
* :mod:`.resources`: where the bundled library files and designs are.

Design files are read by :mod:`macgates.design`, which sits above the builders it calls.
"""
