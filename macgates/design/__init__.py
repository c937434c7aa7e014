"""Layer 5, designs: design files and what a name given to the commands means.

* :mod:`.schema`: the design-file schema ``macgates: 1`` (``Config``, ``Design``, ``load_design``, ...);
* :mod:`.names`: ``resolve(name, config, k, library, adder)``.

It reads files, but sits above :mod:`macgates.datapath`, whose builders a config calls.
The names below are the schema's.
"""

from .schema import (
                     COMPONENT_KEYS,
                     CONFIG_KEYS,
                     DATAPATH_KEYS,
                     MAX_CONFIGS,
                     MAX_FORMATS,
                     SCHEMA_VERSION,
                     TOP_KEYS,
                     Config,
                     DatapathSpec,
                     Design,
                     bundled_designs,
                     bundled_names,
                     default_design,
                     design_from_mapping,
                     find_design,
                     load_design,
                     parse_config,
                     parse_datapath,
                     parse_formats,
)

__all__ = ["COMPONENT_KEYS", "CONFIG_KEYS", "DATAPATH_KEYS", "MAX_CONFIGS", "MAX_FORMATS", "SCHEMA_VERSION",
           "TOP_KEYS", "Config", "DatapathSpec", "Design", "bundled_designs", "bundled_names", "default_design",
           "design_from_mapping", "find_design", "load_design", "parse_config", "parse_datapath", "parse_formats"]
