"""Layer 7, what people read: tables, sweeps, charts and reports.

* :mod:`.tables`: a design's relative-area table;
* :mod:`.sweeps`: a grid of configs costed on cached stages;
* :mod:`.render`: text, csv, markdown, LaTeX and JSON tables;
* :mod:`.labels`: text measuring, tick labels and the label placement of the charts;
* :mod:`.charts`: the bar, Pareto and synthesis charts (matplotlib, imported on use);
* :mod:`.markdown`: ``report`` (report.md, the charts' files), sweep reports, synthesis notes;
* :mod:`.export`: the graph as GraphML, DOT or JSON.

Imports anything below it. Nothing here is imported by ``import macgates`` except
:mod:`.tables` and :mod:`.sweeps`.
"""
