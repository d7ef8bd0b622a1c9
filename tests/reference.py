"""Naive direct-loop references for the CNN ops, written from the definitions (slow, obvious)."""
import math

import numpy as np


def naive_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    padded = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    padded[:, :, ph:ph + h, pw:pw + wd] = x
    out = np.zeros((n, o, oh, ow))
    per_group = o // groups
    for b_ in range(n):
        for f in range(o):
            g = f // per_group
            for y in range(oh):
                for z in range(ow):
                    total = 0.0
                    for ci in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                total += w[f, ci, i, j] * padded[b_, g * cg + ci, y * sh + i * dh, z * sw + j * dw]
                    out[b_, f, y, z] = total + (0.0 if b is None else b[f])
    return out


def _pool_out(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def naive_max_pool2d(x, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    oh, ow = _pool_out(h, kh, sh, ph, dh, ceil_mode), _pool_out(w, kw, sw, pw, dw, ceil_mode)
    out = np.full((n, c, oh, ow), -np.inf)
    for y in range(oh):
        for z in range(ow):
            for i in range(kh):
                for j in range(kw):
                    r, q = y * sh - ph + i * dh, z * sw - pw + j * dw
                    if 0 <= r < h and 0 <= q < w:
                        out[:, :, y, z] = np.maximum(out[:, :, y, z], x[:, :, r, q])
    return out


def naive_avg_pool2d(x, kernel, stride, padding=(0, 0), ceil_mode=False, count_include_pad=True):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = _pool_out(h, kh, sh, ph, 1, ceil_mode), _pool_out(w, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((n, c, oh, ow))
    for y in range(oh):
        for z in range(ow):
            r0, q0 = y * sh - ph, z * sw - pw
            r1, q1 = min(r0 + kh, h + ph), min(q0 + kw, w + pw)
            area = (r1 - r0) * (q1 - q0)  # counts padding, never the ceil overhang
            rs, qs = max(r0, 0), max(q0, 0)
            re, qe = min(r1, h), min(q1, w)
            total = x[:, :, rs:re, qs:qe].sum(axis=(2, 3))
            out[:, :, y, z] = total / (area if count_include_pad else (re - rs) * (qe - qs))
    return out


def naive_lrn(x, size, alpha, beta, k):
    out = np.empty_like(x)
    channels = x.shape[1]
    for c in range(channels):
        lo, hi = c - size // 2, c + (size - 1) // 2
        total = sum(x[:, cc] ** 2 for cc in range(max(lo, 0), min(hi, channels - 1) + 1))
        out[:, c] = x[:, c] / (k + alpha * total / size) ** beta
    return out
