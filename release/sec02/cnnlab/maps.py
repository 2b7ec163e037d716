"""Gradient maps beyond the exercises: each logit's gradient, the signed map of a two-class model's logit
difference, the maps of the exercises (vanilla saliency, Grad-CAM) and SmoothGrad for many images at once, and
copies of a model whose weights are re-initialised layer by layer (the sanity check of Adebayo et al., "Sanity
checks for saliency maps", 2018).

Logits are computed from the last layer's input, kernel and bias, so the softmax is never differentiated. The maps
of many images are computed a batch at a time inside one traced graph: eagerly, each convolution's gradient with
respect to its kernel is computed too, and thrown away, and each operation pays Python's overhead.
"""
import functools

import keras
import numpy as np
import tensorflow as tf


def _logits(model, layer_name=None):
    """f(images): the model's class scores before its last activation, from the last layer's input, kernel and bias;
    with ``layer_name``, f(images) -> (that layer's output, the class scores)."""
    last = model.layers[-1]
    if layer_name is None:
        features = keras.Model(model.inputs, last.input)
        return lambda images: features(images, training=False) @ last.kernel + last.bias
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])

    def layer_and_logits(images):
        output, features = probe(images, training=False)
        return output, features @ last.kernel + last.bias

    return layer_and_logits


def logit_gradients(model, img):
    """Gradient of each class's logit with respect to one image (H, W, 3): an array (n_classes, H, W, 3)."""
    logits_of = _logits(model)
    image = tf.constant(np.asarray(img, dtype=np.float32)[np.newaxis])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(image)
        logits = logits_of(image)[0]
        scores = [logits[c] for c in range(logits.shape[-1])]
    return np.stack([np.asarray(tape.gradient(score, image))[0] for score in scores])


def smoothgrad(model, images, classes, samples=20, noise=0.2, batch_size=32, seed=0):
    """SmoothGrad maps (Smilkov et al., 2017) of ``images`` (N, H, W, 3), each for its own class in ``classes``:
    an array (N, H, W) in [0, 1].

    The map that tf-keras-vis' ``Saliency`` computes with ``smooth_samples=samples, smooth_noise=noise`` and a
    linear last layer, from noise of its own (seeded): the absolute gradient of the class's logit, averaged over
    ``samples`` copies of the image with Gaussian noise (standard deviation ``noise`` times the image's range of
    values), its largest colour, scaled to [0, 1]. Here ``batch_size`` noisy images at a time go through one traced
    graph, two to three times faster than tf-keras-vis' eager passes on a CPU.
    """
    images = np.asarray(images, dtype=np.float32)
    sigma = noise * (images.max(axis=(1, 2, 3)) - images.min(axis=(1, 2, 3)))[:, None, None, None]
    chosen = tf.one_hot(np.asarray(classes), model.output_shape[-1])
    gradient = _abs_logit_gradient(model)
    rng = np.random.default_rng(seed)
    total = np.zeros_like(images)
    for _ in range(samples):
        noisy = images + sigma * rng.standard_normal(images.shape, dtype=np.float32)
        total += _batched(gradient, noisy, chosen, batch_size)
    return _scaled(total.max(axis=-1) / samples)


def saliency(model, images, classes, batch_size=32):
    """Vanilla saliency maps (Simonyan et al., 2014) of ``images`` (N, H, W, 3), each for its own class in
    ``classes``: an array (N, H, W) in [0, 1], the maps of the exercise's ``vanilla_saliency``. SmoothGrad without
    noise: one copy of each image, as it is."""
    return smoothgrad(model, images, classes, samples=1, noise=0.0, batch_size=batch_size)


def gradcam(model, images, classes, layer_name, batch_size=32):
    """Grad-CAM maps (Selvaraju et al., 2017) from ``layer_name`` of ``images`` (N, H, W, 3), each for its own class
    in ``classes``: an array (N, H, W) in [0, 1], the maps of the exercise's ``gradcam`` (resized bilinearly as
    ``tf.image.resize`` does), ``batch_size`` images at a time through one traced graph."""
    images = np.asarray(images, dtype=np.float32)
    chosen = tf.one_hot(np.asarray(classes), model.output_shape[-1])
    return _scaled(_batched(_gradcam_graph(model, layer_name), images, chosen, batch_size))


def _batched(graph, images, chosen, batch_size):
    """``graph(images, chosen)`` (one of the traced graphs below), ``batch_size`` images at a time, as one array."""
    return np.concatenate([graph(images[i:i + batch_size], chosen[i:i + batch_size]).numpy()
                           for i in range(0, len(images), batch_size)])


def _scaled(maps):
    """Each map of ``maps`` (N, H, W) scaled to [0, 1]: its minimum to 0, its maximum to 1."""
    low, high = maps.min(axis=(1, 2), keepdims=True), maps.max(axis=(1, 2), keepdims=True)
    return (maps - low) / (high - low + keras.config.epsilon())


# Each graph is traced once per model (and layer), for every batch of every call: a trace takes about 0.1 s.
# The cache keeps its last 16 models alive.
@functools.lru_cache(maxsize=16)
def _abs_logit_gradient(model):
    """f(images, one-hot classes): the absolute gradient of each image's chosen logit, as one traced graph.

    One gradient for the whole batch, of the sum of each image's chosen logit: with the model in inference
    (``training=False``), an image's logits depend on that image only, so each image gets its own gradient."""
    logits_of = _logits(model)

    @tf.function(input_signature=_signature(model))
    def gradient(images, chosen):
        with tf.GradientTape() as tape:
            tape.watch(images)
            score = tf.reduce_sum(logits_of(images) * chosen)
        return tf.abs(tape.gradient(score, images))

    return gradient


@functools.lru_cache(maxsize=16)
def _gradcam_graph(model, layer_name):
    """f(images, one-hot classes): each image's ReLU(sum over k of alpha_k A^k) from ``layer_name``, resized to the
    images' height and width, as one traced graph (one gradient for the batch, as in ``_abs_logit_gradient``)."""
    layer_and_logits = _logits(model, layer_name)

    @tf.function(input_signature=_signature(model))
    def cams(images, chosen):
        with tf.GradientTape() as tape:
            feature_maps, logits = layer_and_logits(images)
            score = tf.reduce_sum(logits * chosen)
        weights = tf.reduce_mean(tape.gradient(score, feature_maps), axis=(1, 2), keepdims=True)  # alpha_k
        cam = tf.nn.relu(tf.reduce_sum(feature_maps * weights, axis=-1, keepdims=True))
        return tf.image.resize(cam, tf.shape(images)[1:3], method="bilinear")[..., 0]

    return cams


def _signature(model):
    """The traced graphs' inputs: a batch of the model's images and one one-hot class per image."""
    return [tf.TensorSpec((None,) + tuple(model.input_shape[1:]), tf.float32),
            tf.TensorSpec((None, model.output_shape[-1]), tf.float32)]


def cosine(a, b):
    """Cosine of the angle between two arrays, flattened: -1 when one is a negative multiple of the other."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def signed_difference(model, img, towards=1, against=0, times_input=False, scaled=True):
    """Gradient of logit ``towards`` minus logit ``against``, summed over colours: (H, W), signed, scaled so that
    its largest absolute value is 1 (unless ``scaled=False``).

    A positive pixel is one that, *brightened* a little, would move the decision towards class ``towards``: the
    gradient says what a change would do, not what the pixel as it is contributes (a dark stripe can be evidence
    for zebra and still have a negative gradient). With ``times_input``, the gradient times the image before the
    sum (gradient x input): each pixel's term in the first-order account of the difference of logits, positive
    where the pixel as it is counts towards ``towards``."""
    gradients = logit_gradients(model, img)
    signed = gradients[towards] - gradients[against]
    if times_input:
        signed = signed * np.asarray(img, dtype=np.float32)
    signed = signed.sum(axis=-1)
    peak = np.abs(signed).max()
    return signed / peak if scaled and peak > 0 else signed


def negative_share(values):
    """The share of the absolute mass of ``values`` that is on negative ones (0 when there is none)."""
    values = np.asarray(values, dtype=np.float64)
    mass = np.abs(values).sum()
    return float(np.abs(values[values < 0]).sum() / mass) if mass > 0 else 0.0


def randomised_copies(model, depths=None, seed=0):
    """[(layer name, copy)]: copies of ``model`` whose last ``depth`` weighted layers (for each of ``depths``;
    default: 1, 2, ... all of them) are re-initialised with each layer's own initialisers, from the output back
    (cascading randomisation); the name is the deepest layer re-initialised."""
    weighted = [layer.name for layer in model.layers if layer.weights]
    copies = []
    for depth in depths or range(1, len(weighted) + 1):
        keras.utils.set_random_seed(seed + depth)
        copy = keras.models.clone_model(model)  # every layer with new weights, drawn by its initialisers
        for name in weighted[:-depth]:  # the layers below the re-initialised ones get the trained weights back
            copy.get_layer(name).set_weights(model.get_layer(name).get_weights())
        copies.append((weighted[-depth], copy))
    return copies


def measured_receptive_field(layers_stack, size=64):
    """Receptive field, in input pixels along one axis, of the central output neuron of convolutions stacked in
    ``layers_stack`` (Keras Conv2D layers, built here on a one-channel ``size`` x ``size`` input), measured by the
    gradient: the extent of the input pixels that change the neuron. Kernels are set to ones and biases to zero,
    so that no weight cancels another's path."""
    model = keras.Sequential([keras.Input((size, size, 1)), *layers_stack])
    for layer in model.layers:
        layer.set_weights([np.ones_like(w) if w.ndim > 1 else np.zeros_like(w) for w in layer.get_weights()])
    image = tf.constant(np.ones((1, size, size, 1), dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(image)
        output = model(image)
        centre = output[0, output.shape[1] // 2, output.shape[2] // 2, 0]
    rows = np.flatnonzero(np.abs(np.asarray(tape.gradient(centre, image))[0, :, :, 0]).sum(axis=1))
    return int(rows[-1] - rows[0] + 1), tuple(output.shape[1:3])
