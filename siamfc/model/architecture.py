"""The fixed numbers of the SiamFC architecture, defined once (paper sections 2.2-2.4, Table 1).

Everything that needs one of them imports it from here: the network, the engines, the export,
the tracker's and the trainer's default parameters, the bench.
"""

#: Name of the architecture, written into weights, model cards and exports and checked on load.
ARCHITECTURE = "siamfc-alexnet"
#: Total stride of the embedding: one score-map cell is this many input pixels.
STRIDE = 8
#: Side of the exemplar crop z (pixels).
EXEMPLAR_SIZE = 127
#: Side of the search crop x (pixels); with the exemplar it gives a 17x17 score map.
INSTANCE_SIZE = 255
