"""DeepDream (Mordvintsev et al., 2015) on the section's own CNNs.

Gradient *ascent* on the image: change the pixels so that a chosen layer's activations grow. Done at
several scales ("octaves"), so that the patterns the layer likes appear at more than one size.
"""
import cnnlab  # noqa: F401  (sets TensorFlow's environment before it is imported)
import keras
import numpy as np
import tensorflow as tf


def conv_trunk(model, layer_name):
    """The model's layers from the input up to ``layer_name``, on inputs of any height and width.

    The section's CNNs end in Flatten + Dense, which fixes their input at 128x128; their convolutions
    do not care, so re-applying them to a (None, None, 3) input lets DeepDream work at other scales.
    """
    inputs = keras.Input(shape=(None, None, model.input_shape[-1]))
    x = inputs
    for layer in model.layers[1:]:
        x = layer(x)
        if layer.name == layer_name:
            return keras.Model(inputs, x)
    raise ValueError(f"{model.name} has no layer named {layer_name!r}")


def deepdream(model, image, layer_name, *, steps=30, step_size=0.03, octaves=(-1, 0, 1), octave_scale=1.4,
              seed=0):
    """Return ``image`` (H, W, 3 in [0, 1]) changed to excite ``layer_name``; same shape as ``image``.

    The ascent changes the pixels' logits, not the pixels: the sigmoid maps any logit back into (0, 1), so no
    pixel is ever clipped, and a pixel close to black or white changes slowly instead of getting stuck there.
    """
    step = _ascent_step(conv_trunk(model, layer_name), step_size)
    rng = np.random.default_rng(seed)
    base = np.array(image.shape[:2], dtype=np.float32)
    pixels = np.clip(image, 1 / 255, 1 - 1 / 255)  # pure black or white would have an infinite logit
    logits = tf.constant(np.log(pixels / (1 - pixels)), dtype=tf.float32)
    for octave in octaves:
        size = np.maximum(np.round(base * octave_scale ** octave), 32).astype(int)
        logits = tf.image.resize(logits, size)
        for _ in range(steps):
            # A random shift each step stops the ascent from fixing on the stride grid's artefacts.
            logits = step(logits, tf.constant(rng.integers(-4, 5, 2), dtype=tf.int32))
    return tf.sigmoid(tf.image.resize(logits, image.shape[:2])).numpy()


def _ascent_step(trunk, step_size):
    """One step of the ascent on the logits, shifted by (dy, dx) while the gradient is taken.

    A TensorFlow graph traced once for images of any size: the same numbers as running it eagerly, in about
    a third of the time, since a step's own arithmetic is small next to eager execution's per-operation cost."""
    @tf.function(input_signature=[tf.TensorSpec((None, None, 3), tf.float32), tf.TensorSpec((2,), tf.int32)])
    def step(logits, shift):
        rolled = tf.roll(logits, shift=shift, axis=(0, 1))
        with tf.GradientTape() as tape:
            tape.watch(rolled)
            loss = tf.reduce_mean(trunk(tf.sigmoid(rolled)[None], training=False))
        grad = tape.gradient(loss, rolled)
        # For an early layer (cnn2's conv2) the steepest way up is to brighten every pixel: the dream turns white.
        # Removing each colour's mean gradient leaves the overall colour about where it was, so the ascent can
        # only move light around: it paints the patterns the layer likes.
        grad -= tf.reduce_mean(grad, axis=(0, 1), keepdims=True)
        grad /= tf.math.reduce_std(grad) + 1e-8  # normalised step: the same pace at every layer
        return tf.roll(rolled + step_size * grad, shift=-shift, axis=(0, 1))

    return step
