"""Sparse distributed representations: the SDR type, operations on SDRs and encoders."""

from spikemem.sdr.encoders import CategoryEncoder, RandomProjectionEncoder, ScalarEncoder
from spikemem.sdr.ops import (check_sparsity, dropout, flip_bits, intersection, overlap,
                              overlap_matrix, union)
from spikemem.sdr.sdr import SDR

__all__ = ["SDR", "overlap", "union", "intersection", "overlap_matrix", "check_sparsity",
           "flip_bits", "dropout", "ScalarEncoder", "CategoryEncoder", "RandomProjectionEncoder"]
