"""Students' answers, right and wrong, for testing the hidden checks.

``CORRECT[name]`` are correct answers written differently from the reference (numpy instead of TensorFlow,
a cloned model instead of the last layer's weights, another resizer, a hand-written SmoothGrad loop);
``MISTAKES[name]`` are the typical mistakes, each of which must lose the exercise's points.
"""
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from skimage.transform import resize
from tf_keras_vis.saliency import Saliency

from solutions import sec02 as ref


# --- arithmetic ----------------------------------------------------------------------------------

def conv_output_size_floor(n, kernel_size, stride=1, padding="valid", dilation=1):
    if padding == "same":
        return -(-n // stride)
    return int(math.floor((n - dilation * (kernel_size - 1) - 1) / stride)) + 1


def conv_output_size_padded(n, kernel_size, stride=1, padding="valid", dilation=1):
    # The textbook formula with an explicit total padding p: "same" pads so that stride 1 keeps n.
    effective = dilation * (kernel_size - 1) + 1
    p = max(effective - (stride if n % stride == 0 else n % stride), 0) if padding == "same" else 0
    return (n + p - effective) // stride + 1


def conv_output_size_off_by_one(n, kernel_size, stride=1, padding="valid", dilation=1):
    if padding == "same":
        return math.ceil(n / stride)
    return (n - dilation * (kernel_size - 1)) // stride  # forgets the +1


def conv_output_size_no_dilation(n, kernel_size, stride=1, padding="valid", dilation=1):
    return ref.conv_output_size(n, kernel_size, stride, padding, 1)


def receptive_field_backwards(layers):
    # From the output back to the input: r_{l-1} = s_l * (r_l - 1) + d_l * (k_l - 1) + 1.
    field = 1
    for kernel_size, stride, dilation in reversed(list(layers)):
        field = stride * (field - 1) + dilation * (kernel_size - 1) + 1
    return field


def receptive_field_numpy(layers):
    layers = np.asarray(list(layers), dtype=int).reshape(-1, 3)
    jumps = np.concatenate([[1], np.cumprod(layers[:, 1])[:-1]])
    return int(1 + np.sum(layers[:, 2] * (layers[:, 0] - 1) * jumps))


def receptive_field_no_dilation(layers):
    return ref.receptive_field([(k, s, 1) for k, s, _ in layers])


def receptive_field_no_stride(layers):
    return ref.receptive_field([(k, 1, d) for k, _, d in layers])


# --- feature maps --------------------------------------------------------------------------------

def get_feature_maps_predict(model, layer_name, img):
    sub = keras.Model(inputs=model.input, outputs=model.get_layer(layer_name).output)
    return sub.predict(np.expand_dims(img, 0), verbose=0)[0, :, :, :]


def get_feature_maps_layer_loop(model, layer_name, img):
    x = tf.convert_to_tensor(img[None])
    for layer in model.layers[1:]:
        x = layer(x, training=False)
        if layer.name == layer_name:
            return x.numpy()[0]


def get_feature_maps_transposed(model, layer_name, img):
    return ref.get_feature_maps(model, layer_name, img).transpose(2, 0, 1)


def get_feature_maps_wrong_layer(model, layer_name, img):
    index = [layer.name for layer in model.layers].index(layer_name)
    return ref.get_feature_maps(model, model.layers[index - 1].name, img)


# --- saliency and Grad-CAM -----------------------------------------------------------------------

def _linear_copy(model):
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.layers[-1].activation = keras.activations.linear
    return copy


def vanilla_saliency_clone_numpy(model, img, class_index):
    linear = _linear_copy(model)
    x = tf.Variable(img[None].astype("float32"))
    with tf.GradientTape() as tape:
        score = linear(x, training=False)[:, class_index]
    grads = np.abs(tape.gradient(score, x).numpy()[0]).max(axis=2)
    return grads / grads.max()


def vanilla_saliency_no_abs(model, img, class_index):
    return _saliency_from(model, img, class_index, lambda g: tf.reduce_max(g, axis=-1))


def vanilla_saliency_channel_mean(model, img, class_index):
    return _saliency_from(model, img, class_index, lambda g: tf.reduce_mean(tf.abs(g), axis=-1))


def vanilla_saliency_softmax(model, img, class_index):
    x = tf.constant(img[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = model(x, training=False)[0, class_index]  # the probability, not the score
    grads = tf.reduce_max(tf.abs(tape.gradient(score, x)[0]), axis=-1).numpy()
    return (grads - grads.min()) / (grads.max() - grads.min() + 1e-12)


def _saliency_from(model, img, class_index, reduce):
    linear = _linear_copy(model)
    x = tf.constant(img[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = linear(x, training=False)[0, class_index]
    m = reduce(tape.gradient(score, x)[0]).numpy()
    return (m - m.min()) / (m.max() - m.min() + 1e-12)


def _cam_parts(model, img, class_index, layer_name, through_softmax=False):
    linear = model if through_softmax else _linear_copy(model)
    probe = keras.Model(linear.inputs, [linear.get_layer(layer_name).output, linear.output])
    x = tf.constant(img[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        fmaps, out = probe(x, training=False)
        score = out[:, class_index]
    return fmaps.numpy()[0], tape.gradient(score, fmaps).numpy()[0]


def gradcam_numpy_skimage(model, img, class_index, layer_name):
    fmaps, grads = _cam_parts(model, img, class_index, layer_name)
    cam = np.maximum(np.tensordot(fmaps, grads.mean(axis=(0, 1)), axes=([2], [0])), 0)
    cam = resize(cam, img.shape[:2], order=1, mode="edge", anti_aliasing=False)
    return cam / cam.max() if cam.max() > 0 else cam


def gradcam_no_relu(model, img, class_index, layer_name):
    fmaps, grads = _cam_parts(model, img, class_index, layer_name)
    cam = np.tensordot(fmaps, grads.mean(axis=(0, 1)), axes=([2], [0]))
    return _upsample_rescale(cam, img)


def gradcam_through_softmax(model, img, class_index, layer_name):
    fmaps, grads = _cam_parts(model, img, class_index, layer_name, through_softmax=True)
    cam = np.maximum(np.tensordot(fmaps, grads.mean(axis=(0, 1)), axes=([2], [0])), 0)
    return _upsample_rescale(cam, img)


def gradcam_wrong_layer(model, img, class_index, layer_name):
    names = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    other = names[names.index(layer_name) - 1] if names.index(layer_name) > 0 else names[-1]
    return ref.gradcam(model, img, class_index, other)


def _upsample_rescale(cam, img):
    cam = tf.image.resize(cam[..., None], img.shape[:2]).numpy()[..., 0]
    return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)


# --- breakout room 2 -----------------------------------------------------------------------------

def prepare_image_expand(img):
    return tf.expand_dims(tf.cast(img, tf.float32), axis=0).numpy()


def prepare_image_no_cast(img):
    return np.expand_dims(img, 0)


def model_modifier_replace_layer(m):
    m.get_layer(m.layers[-1].name).activation = keras.activations.get("linear")
    return m


def model_modifier_no_return(m):
    m.layers[-1].activation = keras.activations.linear


def model_modifier_relu(m):
    m.layers[-1].activation = keras.activations.relu
    return m


def saliency_graphs_by_hand(model, img, positive_gradients=False, samples=20, noise=0.2):
    """SmoothGrad without tf-keras-vis: numpy noise, one GradientTape per noisy copy."""
    linear = _linear_copy(model)
    sigma = noise * (img.max() - img.min())
    rng = np.random.default_rng()
    noisy = tf.constant(img[None] + rng.normal(0, sigma, (samples,) + img.shape), dtype=tf.float32)
    maps = []
    for c in range(model.output_shape[-1]):
        with tf.GradientTape() as tape:
            tape.watch(noisy)
            score = tf.reduce_sum(linear(noisy, training=False)[:, c])
        grads = tape.gradient(score, noisy).numpy()
        grads = np.maximum(grads, 0) if positive_gradients else np.abs(grads)
        m = grads.max(axis=-1).mean(axis=0)
        maps.append((m - m.min()) / (m.max() - m.min() + 1e-12))
    fig, ax = plt.subplots(1, len(maps) + 1)
    ax[0].imshow(img)
    for axis, m in zip(ax[1:], maps):
        axis.imshow(m)
    return fig, np.stack(maps)


def _tf_keras_vis_maps(model, img, modifier, gradient_modifier, after=None):
    saliency = Saliency(model, model_modifier=modifier, clone=True)
    maps = []
    for c in range(model.output_shape[-1]):
        m = saliency(lambda out, c=c: out[:, c], ref.prepare_image(img), smooth_samples=20,
                     gradient_modifier=gradient_modifier)[0]
        maps.append(after(m) if after else m)
    fig = plt.figure()
    return fig, np.stack(maps)


def saliency_graphs_no_abs(model, img, positive_gradients=False):
    return _tf_keras_vis_maps(model, img, ref.model_modifier, lambda g: g)


def saliency_graphs_softmax(model, img, positive_gradients=False):
    keep = tf.nn.relu if positive_gradients else tf.abs
    return _tf_keras_vis_maps(model, img, None, keep)


def saliency_graphs_inverted_positive(model, img, positive_gradients=False):
    """The original notebook's branch: zero the positive gradients instead of keeping them."""
    keep = (lambda g: tf.nn.relu(-g)) if positive_gradients else tf.abs
    return _tf_keras_vis_maps(model, img, ref.model_modifier, keep)


def saliency_graphs_two_classes(model, img, positive_gradients=False):
    fig, maps = ref.saliency_graphs(model, img, positive_gradients)
    return fig, maps[:2]


CORRECT = {
    "conv_output_size": [conv_output_size_floor, conv_output_size_padded],
    "receptive_field": [receptive_field_backwards, receptive_field_numpy],
    "get_feature_maps": [get_feature_maps_predict, get_feature_maps_layer_loop],
    "vanilla_saliency": [vanilla_saliency_clone_numpy],
    "gradcam": [gradcam_numpy_skimage],
    "prepare_image": [prepare_image_expand],
    "model_modifier": [model_modifier_replace_layer],
    "saliency_graphs": [saliency_graphs_by_hand],
}

MISTAKES = {
    "conv_output_size": [conv_output_size_off_by_one, conv_output_size_no_dilation],
    "receptive_field": [receptive_field_no_dilation, receptive_field_no_stride],
    "get_feature_maps": [get_feature_maps_transposed, get_feature_maps_wrong_layer],
    "vanilla_saliency": [vanilla_saliency_no_abs, vanilla_saliency_channel_mean, vanilla_saliency_softmax],
    "gradcam": [gradcam_no_relu, gradcam_through_softmax, gradcam_wrong_layer],
    "prepare_image": [prepare_image_no_cast],
    "model_modifier": [model_modifier_no_return, model_modifier_relu],
    "saliency_graphs": [saliency_graphs_no_abs, saliency_graphs_softmax, saliency_graphs_inverted_positive,
                        saliency_graphs_two_classes],
}
