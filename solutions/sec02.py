"""Reference solutions, generated from source/sec02/sec02.ipynb by tools/build.py: do not edit."""


import cnnlab  # first: sets TensorFlow's environment variables
import math
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from tf_keras_vis.saliency import Saliency
from tf_keras_vis.utils.scores import CategoricalScore
from cnnlab import maps, models, plots, pointing
from cnnlab.data import CLASS_NAMES, load_horse2zebra
from cnnlab.deepdream import deepdream
from cnnlab.evaluate import accuracy, provenance_note


def conv_output_size(n, kernel_size, stride=1, padding="valid", dilation=1):
    """Side of a convolution's output for an input of side n, as Keras computes it.

    padding: "valid" or "same". dilation: the dilation rate. Returns an int.
    """
    span = dilation * (kernel_size - 1) + 1  # input pixels the dilated kernel covers
    if padding == "same":
        return math.ceil(n / stride)
    if padding == "valid":
        return max(0, (n - span) // stride + 1)
    raise ValueError(f"padding must be 'valid' or 'same', not {padding!r}")


receptive_field_answer = "i"


def receptive_field(layers):
    """Receptive field (input pixels along one axis) of a neuron of the last of `layers`."""
    field, jump = 1, 1  # jump: input pixels between neighbouring neurons of the current layer
    for kernel_size, stride, dilation in layers:
        field += dilation * (kernel_size - 1) * jump
        jump *= stride
    return field


def get_feature_maps(model, layer_name, img):
    """Feature maps of `layer_name` for one image (H, W, 3): an array (H', W', C)."""
    extractor = keras.Model(model.inputs, model.get_layer(layer_name).output)
    return np.asarray(extractor(img[np.newaxis], training=False))[0]


filter_order = "BCA"  # must equal assignments/sec02/answer_key.json, written by tools/make_figures.py


def most_different_channels(model, layer_name, img_a, img_b, k=3):
    """The k channels of `layer_name` whose mean activation differs most between two images (H, W, 3), largest
    difference first: an array of k channel indices."""
    mean_a = get_feature_maps(model, layer_name, img_a).mean(axis=(0, 1))
    mean_b = get_feature_maps(model, layer_name, img_b).mean(axis=(0, 1))
    return np.argsort(-np.abs(mean_a - mean_b), kind="stable")[:k]


def vanilla_saliency(model, img, class_index):
    """Simonyan et al.'s saliency map of one class for one image: an (H, W) array in [0, 1]."""
    last = model.layers[-1]
    features = keras.Model(model.inputs, last.input)  # everything but the last layer
    image = tf.constant(img[np.newaxis], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(image)
        scores = features(image, training=False) @ last.kernel + last.bias  # before the softmax
        score = scores[0, class_index]
    grads = tape.gradient(score, image)[0]
    saliency = tf.reduce_max(tf.abs(grads), axis=-1).numpy()
    return (saliency - saliency.min()) / (saliency.max() - saliency.min() + 1e-12)


def gradcam(model, img, class_index, layer_name):
    """Grad-CAM map of one class from one layer, for one image: an (H, W) array in [0, 1]."""
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    image = tf.constant(img[np.newaxis], dtype=tf.float32)
    with tf.GradientTape() as tape:
        feature_maps, features = probe(image, training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]  # before the softmax
    grads = tape.gradient(score, feature_maps)
    weights = tf.reduce_mean(grads, axis=(1, 2))  # one weight per channel
    cam = tf.nn.relu(tf.reduce_sum(feature_maps * weights[:, tf.newaxis, tf.newaxis, :], axis=-1))
    cam = tf.image.resize(cam[..., tf.newaxis], img.shape[:2], method="bilinear")[0, ..., 0].numpy()
    return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)


def prepare_image(img):
    """One image (H, W, 3) -> a batch of one, (1, H, W, 3), float32."""
    return np.asarray(img, dtype=np.float32)[np.newaxis]


def model_modifier(m):
    """Make the last layer of `m` linear, so that it outputs class scores; return `m`."""
    m.layers[-1].activation = keras.activations.linear
    return m


def saliency_graphs(model, img, positive_gradients=False):
    """SmoothGrad maps of every class for one image: returns (fig, maps), maps (n_classes, H, W) in [0, 1]."""
    n_classes = model.output_shape[-1]
    image = prepare_image(img)
    # 1. a Saliency object for `model` that uses your model_modifier (clone=True leaves `model` as it is);
    # 2. what to keep of the raw gradients: their absolute value, or with positive_gradients only the positive part;
    # 3. one SmoothGrad map per class c (score: output[:, c], smooth_samples=20), stacked into `maps`: one call per
    #    class, or one call for all of them on a batch of n_classes copies of the image, copy c scored by class c.
    saliency = Saliency(model, model_modifier=model_modifier, clone=True)
    keep = tf.nn.relu if positive_gradients else tf.abs  # applied before the maximum over colour channels
    # One call for every class: each of the 20 samples is one pass through the model, not one per class.
    maps = saliency(CategoricalScore(list(range(n_classes))), np.repeat(image, n_classes, axis=0),
                    smooth_samples=20, gradient_modifier=keep)
    fig, ax = plt.subplots(1, n_classes + 1, figsize=(3.5 * (n_classes + 1), 3.5))
    ax[0].imshow(img)
    ax[0].set_title("input")
    for c in range(n_classes):
        ax[c + 1].imshow(maps[c], cmap="Greens" if c else "Reds")
        ax[c + 1].set_title(f"class {c} saliency" + (" (positive)" if positive_gradients else ""))
    for axis in ax:
        axis.axis("off")
    return fig, maps
