"""The column matrix of a convolution (im2col) and its two memory layouts, in one place.

minigrad keeps the column matrix with the channel-and-tap axis first, as the 6-D array
``(C, KH, KW, N, OH, OW)``: it is made in one copy from a strided view of the padded input,
and neither the product nor its backward needs a transpose of this large buffer.

For stride-1 convolutions the columns are ordered ``(OH, OW, N)`` instead ("batch last"): the
input is first copied into a padded ``(C, H, W, N)`` buffer, so that each row of windows is one
contiguous run of ``OW*N`` numbers, and im2col and col2im copy long runs instead of rows of a
few pixels (LeNet's second convolution: ten). A strided convolution takes this order too when
its output rows are shorter than the batch (each run is then ``N`` numbers instead of ``OW``).
The output then keeps the batch axis last in memory, and the next layers (batch norm, relu,
pooling, the next convolution) read it in that order; batch norm also keeps it.

``uses_batch_last`` is the one place that chooses; every function here takes the choice as its
``batch_last`` argument. Measured (``docs/performance.md``), batch-last pays for LeNet-5's conv2,
for ResNet's 3x3 convolutions and for a LeNet-5 step as a whole (its pooling and relu keep the
layout), and costs a little on its own for a one-channel input (LeNet-5's conv1) and for
AlexNet's conv3.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minigrad._layout import SHORT_ROW, short_rows
from minigrad.nn.functional._window import Window
from minigrad.threads import parallel_for


SHORT_RUN = 1 << 11  # numbers: col2im adds shorter runs per channel as one run for all (measured)
IN_PLACE_PLANE = 1 << 12  # numbers per channel from which col2im adds stride-1 taps in place (measured)


def uses_batch_last(window: Window, batch: int) -> bool:
    """Whether a convolution orders its columns ``(OH, OW, N)``: stride-1 ones do, and strided
    ones whose output rows are shorter than the batch (ResNet's on 8x8 to 2x2 maps: runs of
    ``N`` numbers instead of rows of 1-4 pixels two apart took 0.13-0.41x the time)."""
    return window.stride[1] == 1 or window.output_hw[1] < batch


def im2col(x: np.ndarray, window: Window, batch_last: bool = False) -> np.ndarray:
    """``(N, C, H, W)`` -> ``(C, KH, KW, N, OH, OW)``, every window's pixels (a new array);
    ``(C, KH, KW, OH, OW, N)`` when ``batch_last``."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = window.kernel, window.output_hw
    (sh, sw), (dh, dw) = window.stride, window.dilation
    if batch_last:
        padded = _batch_last_padded(x, window)
        s_c, s_h, s_w, s_n = padded.strides
        shape, strides = (c, kh, kw, oh, ow, n), (s_c, dh * s_h, dw * s_w, sh * s_h, sw * s_w, s_n)
    else:
        padded = window.pad(x)
        s_n, s_c, s_h, s_w = padded.strides
        shape, strides = (c, kh, kw, n, oh, ow), (s_c, dh * s_h, dw * s_w, s_n, sh * s_h, sw * s_w)
    return _copy_windows(as_strided(padded, shape=shape, strides=strides, writeable=False))


def _copy_windows(windows: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of the strided view of every window; a large copy is split between
    threads along the channel axis, or the kernel-row axis when there are few channels."""
    col = np.empty(windows.shape, dtype=windows.dtype)
    axis = 0 if windows.shape[0] >= windows.shape[1] else 1

    def part(start: int, stop: int) -> None:
        index = (slice(start, stop),) if axis == 0 else (slice(None), slice(start, stop))
        col[index] = windows[index]

    parallel_for(part, windows.shape[axis], 2 * col.size)
    return col


def _batch_last_padded(x: np.ndarray, window: Window) -> np.ndarray:
    """``(N, C, H, W)`` -> the zero-padded ``(C, H, W, N)`` array (``x``'s memory when it is
    already laid out so and needs no padding)."""
    moved = x.transpose(1, 2, 3, 0)
    if not any(window.padding) and moved.flags.c_contiguous:
        return moved
    top, _, left, _ = window.padding
    h, w = window.input_hw
    padded = np.zeros(moved.shape[:1] + window.padded_hw + moved.shape[3:], dtype=x.dtype)
    padded[:, top:top + h, left:left + w] = moved
    return padded


def col2im(col: np.ndarray, window: Window, batch_last: bool = False) -> np.ndarray:
    """``(C, KH, KW, N, OH, OW)`` (or ``(C, KH, KW, OH, OW, N)`` when ``batch_last``) ->
    ``(N, C, H, W)``: sum each column entry into its pixel."""
    # accumulate in the order of the columns and hand back a transposed view
    c, n = col.shape[0], col.shape[-1 if batch_last else 3]
    image = np.empty((c,) + window.padded_hw + (n,) if batch_last else (c, n) + window.padded_hw, dtype=col.dtype)

    def channels(start: int, stop: int) -> None:  # large images: channel blocks on several threads
        part = image[start:stop]
        part.fill(0)
        for _, i, j in window.taps():
            part[(..., *window.offset(i, j))] += col[start:stop, i, j]

    def batch_last_rows(start: int, stop: int) -> None:
        # a column stride of 1 (each row of a tap's block is one run of OW*N numbers), rows of
        # SHORT_ROW numbers or more and planes of IN_PLACE_PLANE or more: each tap's block is
        # added where it lies, with numpy's buffer no longer than a row (short_rows): 0.69x the
        # time of the copies below for 64 channels of 32x32 at batch 32, 0.90x for LeNet-5's
        # conv2; ResNet's 8x8 maps at batch 32 (planes of 2048) took 1.07x, so smaller planes
        # and shorter rows stay with the copies
        part = image[start:stop]
        part.fill(0)
        with short_rows(window.output_hw[1] * n):
            for _, i, j in window.taps():
                part[(slice(None), *window.offset(i, j))] += col[start:stop, i, j]

    def batch_last_channels(start: int, stop: int) -> None:
        # numpy adds a strided block row by row, at a cost per row that outweighs a short row's
        # sum; so each tap's block is first copied (copies are fast on strides) into a zeroed
        # buffer shaped like the padded images, at the tap's origin, and the buffer is added to
        # the images shifted by the tap's offset: one run per channel, or for small images one
        # run for all channels. The buffer's zeros land on other pixels and change nothing.
        planes = image[start:stop].reshape(stop - start, -1)
        planes.fill(0)
        (oh, ow), (sh, sw), (dh, dw) = window.output_hw, window.stride, window.dilation
        width = window.padded_hw[1]
        block = np.zeros((stop - start,) + window.padded_hw + (n,), dtype=col.dtype)
        origin = block[:, :(oh - 1) * sh + 1:sh, :(ow - 1) * sw + 1:sw]
        run = ((oh - 1) * sh * width + (ow - 1) * sw + 1) * n  # a channel's numbers from its tap's first
        whole = run < SHORT_RUN
        target, source = (planes.reshape(-1), block.reshape(-1)) if whole else (planes, block.reshape(planes.shape))
        for _, i, j in window.taps():
            origin[...] = col[start:stop, i, j]
            first = (i * dh * width + j * dw) * n
            if whole:
                target[first:] += source[:target.size - first]
            else:
                target[:, first:first + run] += source[:, :run]

    oh, row = window.output_hw[0], window.output_hw[1] * n
    if not batch_last:
        function = channels
    elif window.stride[1] == 1 and row >= SHORT_ROW and oh * row >= IN_PLACE_PLANE:
        function = batch_last_rows
    else:
        function = batch_last_channels
    parallel_for(function, c, 2 * col.size)
    if batch_last:
        return window.crop(image.transpose(3, 0, 1, 2))
    return window.crop(image).transpose(1, 0, 2, 3)


def as_6d(col: np.ndarray, window: Window, batch_last: bool) -> np.ndarray:
    """The column matrix as the 6-D array of im2col."""
    (kh, kw), (oh, ow) = window.kernel, window.output_hw
    rows, columns = col.shape
    n = columns // (oh * ow)
    return col.reshape((rows // (kh * kw), kh, kw) + ((oh, ow, n) if batch_last else (n, oh, ow)))


def column_matrix(x: np.ndarray, window: Window, batch_last: bool) -> np.ndarray:
    """im2col as the matrix ``(C*KH*KW, N*OH*OW)`` (columns ordered ``(OH, OW, N)`` when ``batch_last``)."""
    col = im2col(x, window, batch_last)
    return col.reshape(col.shape[0] * col.shape[1] * col.shape[2], -1)


def rows_to_output(rows: np.ndarray, n: int, window: Window, batch_last: bool) -> np.ndarray:
    """The rows ``(O, N*OH*OW)`` -> the output ``(N, O, OH, OW)``, a transposed view: the memory
    stays channel-major, and later ops read it in place."""
    (oh, ow), o = window.output_hw, rows.shape[0]
    if batch_last:
        return rows.reshape(o, oh, ow, n).transpose(3, 0, 1, 2)
    return rows.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)


def output_to_rows(grad: np.ndarray, batch_last: bool) -> np.ndarray:
    """The adjoint of :func:`rows_to_output`: ``(N, O, OH, OW)`` -> ``(O, N*OH*OW)``."""
    return grad.transpose((1, 2, 3, 0) if batch_last else (1, 0, 2, 3)).reshape(grad.shape[1], -1)
