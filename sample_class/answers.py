"""Students' answers, right and wrong: for testing the hidden checks and for the sample class.

``CORRECT[name]`` are correct answers written differently from the reference (numpy instead of TensorFlow,
a cloned model instead of the last layer's weights, another resizer, a hand-written SmoothGrad loop);
``MISTAKES[name]`` are the typical mistakes, each of which must lose the exercise's points, or, for those
``PARTLY`` lists, the points of the sub-checks they fail.

Each answer is self-contained: it uses only the names the notebook's set-up cell imports (math, np, tf,
keras, plt, Saliency) and imports anything else itself, so that its source can be pasted into a
student's notebook under the exercise's name (see ``sample_class/__init__.py``).
"""
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from tf_keras_vis.saliency import Saliency


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
    if padding == "same":
        return math.ceil(n / stride)
    return (n - kernel_size) // stride + 1  # ignores the dilation


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
    field, jump = 1, 1
    for kernel_size, stride, _ in layers:
        field += (kernel_size - 1) * jump
        jump *= stride
    return field


def receptive_field_no_stride(layers):
    return 1 + sum(dilation * (kernel_size - 1) for kernel_size, _, dilation in layers)


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
    sub = keras.Model(model.inputs, model.get_layer(layer_name).output)
    return sub.predict(img[None], verbose=0)[0].transpose(2, 0, 1)  # channels first


def get_feature_maps_wrong_layer(model, layer_name, img):
    names = [layer.name for layer in model.layers]
    previous = model.layers[names.index(layer_name) - 1]  # off by one layer
    return keras.Model(model.inputs, previous.output).predict(img[None], verbose=0)[0]


# --- saliency and Grad-CAM -----------------------------------------------------------------------

def vanilla_saliency_clone_numpy(model, img, class_index):
    linear = keras.models.clone_model(model)
    linear.set_weights(model.get_weights())
    linear.layers[-1].activation = keras.activations.linear
    x = tf.Variable(img[None].astype("float32"))
    with tf.GradientTape() as tape:
        score = linear(x, training=False)[:, class_index]
    grads = np.abs(tape.gradient(score, x).numpy()[0]).max(axis=2)
    return grads / grads.max()


def vanilla_saliency_tf_keras_vis(model, img, class_index):
    def linear(m):
        m.layers[-1].activation = keras.activations.linear
        return m

    saliency = Saliency(model, model_modifier=linear, clone=True)
    return saliency(lambda out: out[:, class_index], np.asarray(img, np.float32)[None])[0]  # smooth_samples=0


def vanilla_saliency_no_abs(model, img, class_index):
    last = model.layers[-1]
    x = tf.constant(img[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = (keras.Model(model.inputs, last.input)(x) @ last.kernel + last.bias)[0, class_index]
    m = tf.reduce_max(tape.gradient(score, x)[0], axis=-1).numpy()  # signed gradients
    return (m - m.min()) / (m.max() - m.min())


def vanilla_saliency_channel_mean(model, img, class_index):
    last = model.layers[-1]
    x = tf.constant(img[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = (keras.Model(model.inputs, last.input)(x) @ last.kernel + last.bias)[0, class_index]
    m = tf.reduce_mean(tf.abs(tape.gradient(score, x)[0]), axis=-1).numpy()  # mean, not max
    return (m - m.min()) / (m.max() - m.min())


def vanilla_saliency_softmax(model, img, class_index):
    x = tf.constant(img[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = model(x, training=False)[0, class_index]  # the probability, not the score
    grads = tf.reduce_max(tf.abs(tape.gradient(score, x)[0]), axis=-1).numpy()
    return (grads - grads.min()) / (grads.max() - grads.min() + 1e-12)


def gradcam_numpy_skimage(model, img, class_index, layer_name):
    from skimage.transform import resize

    linear = keras.models.clone_model(model)
    linear.set_weights(model.get_weights())
    linear.layers[-1].activation = keras.activations.linear
    probe = keras.Model(linear.inputs, [linear.get_layer(layer_name).output, linear.output])
    with tf.GradientTape() as tape:
        fmaps, out = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = out[:, class_index]
    fmaps, grads = fmaps.numpy()[0], tape.gradient(score, fmaps).numpy()[0]
    cam = np.maximum(np.tensordot(fmaps, grads.mean(axis=(0, 1)), axes=([2], [0])), 0)
    cam = resize(cam, img.shape[:2], order=1, mode="edge", anti_aliasing=False)
    return cam / cam.max() if cam.max() > 0 else cam


def gradcam_channel_loop(model, img, class_index, layer_name):
    """Each channel's weight and its share of the map one at a time, in a Python loop."""
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    grads = tape.gradient(score, fmaps)[0].numpy()
    fmaps = fmaps[0].numpy()
    cam = np.zeros(fmaps.shape[:2])
    for k in range(fmaps.shape[-1]):
        cam += grads[:, :, k].mean() * fmaps[:, :, k]
    cam = tf.image.resize(np.maximum(cam, 0)[..., None], img.shape[:2]).numpy()[..., 0]
    return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)


def gradcam_einsum(model, img, class_index, layer_name):
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    x = tf.convert_to_tensor(np.asarray(img, np.float32)[None])
    with tf.GradientTape() as tape:
        fmaps, features = probe(x, training=False)
        score = tf.tensordot(features[0], last.kernel[:, class_index], axes=1) + last.bias[class_index]
    alpha = tf.reduce_mean(tape.gradient(score, fmaps)[0], axis=(0, 1)).numpy()
    cam = np.maximum(np.einsum("ijk,k->ij", fmaps[0].numpy(), alpha), 0)
    cam = tf.image.resize(cam[:, :, None], img.shape[:2], method="bilinear").numpy()[:, :, 0]
    return cam / cam.max() if cam.max() > 0 else cam


def gradcam_scipy_zoom(model, img, class_index, layer_name):
    # Upsampled as tf-keras-vis' own Grad-CAM does: scipy's zoom, whose bilinear grid aligns the corners.
    from scipy.ndimage import zoom

    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1))[0].numpy()
    cam = zoom(cam, (img.shape[0] / cam.shape[0], img.shape[1] / cam.shape[1]), order=1)
    return (cam - cam.min()) / (cam.max() - cam.min()) if cam.max() > cam.min() else np.zeros_like(cam)


def gradcam_tf1_resize(model, img, class_index, layer_name):
    # TensorFlow 1's bilinear resize: no half-pixel offset.
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1, keepdims=True))
    cam = tf.compat.v1.image.resize_bilinear(cam, img.shape[:2])[0, :, :, 0].numpy()
    return cam / cam.max() if cam.max() > 0 else cam


def gradcam_no_relu(model, img, class_index, layer_name):
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))
    cam = tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1)  # no ReLU
    cam = tf.image.resize(cam[..., None], img.shape[:2])[0, ..., 0].numpy()
    return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)


def gradcam_through_softmax(model, img, class_index, layer_name):
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.output])
    with tf.GradientTape() as tape:
        fmaps, probs = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = probs[0, class_index]  # the probability, not the score
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1))
    cam = tf.image.resize(cam[..., None], img.shape[:2])[0, ..., 0].numpy()
    return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)


def gradcam_nearest(model, img, class_index, layer_name):
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1))
    cam = tf.image.resize(cam[..., None], img.shape[:2], method="nearest")[0, ..., 0].numpy()  # blocky
    return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)


def gradcam_wrong_layer(model, img, class_index, layer_name):
    convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    layer_name = convs[convs.index(layer_name) - 1] if convs.index(layer_name) > 0 else convs[-1]
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1))
    cam = tf.image.resize(cam[..., None], img.shape[:2])[0, ..., 0].numpy()
    return (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)


# --- breakout room 2 -----------------------------------------------------------------------------

def prepare_image_expand(img):
    return tf.expand_dims(tf.cast(img, tf.float32), axis=0).numpy()


def prepare_image_no_cast(img):
    return np.expand_dims(img, 0)


def prepare_image_channels_first(img):
    return np.asarray(img, dtype=np.float32).transpose(2, 0, 1)[np.newaxis]  # (1, 3, H, W), as PyTorch has it


def model_modifier_replace_layer(m):
    m.get_layer(m.layers[-1].name).activation = keras.activations.get("linear")
    return m


def model_modifier_no_return(m):
    m.layers[-1].activation = keras.activations.linear


def model_modifier_relu(m):
    m.layers[-1].activation = keras.activations.relu
    return m


def saliency_graphs_by_hand(model, img, positive_gradients=False):
    """SmoothGrad without tf-keras-vis: numpy noise, one GradientTape over 20 noisy copies."""
    linear = keras.models.clone_model(model)
    linear.set_weights(model.get_weights())
    linear.layers[-1].activation = keras.activations.linear
    sigma = 0.2 * (img.max() - img.min())
    noisy = tf.constant(img[None] + np.random.default_rng().normal(0, sigma, (20,) + img.shape), dtype=tf.float32)
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


def saliency_graphs_sample_loop(model, img, positive_gradients=False):
    """SmoothGrad one noisy copy at a time, and each gradient's maximum over the colour channels pixel by pixel:
    Python loops where the reference batches and vectorises (two to three times the reference's time)."""
    linear = keras.models.clone_model(model)
    linear.set_weights(model.get_weights())
    linear.layers[-1].activation = keras.activations.linear
    sigma = 0.2 * (img.max() - img.min())
    rng = np.random.default_rng()
    maps = []
    for c in range(model.output_shape[-1]):
        total = np.zeros(img.shape[:2])
        for _ in range(20):
            noisy = tf.constant(img[None] + rng.normal(0, sigma, img.shape), dtype=tf.float32)
            with tf.GradientTape() as tape:
                tape.watch(noisy)
                score = linear(noisy, training=False)[0, c]
            grads = tape.gradient(score, noisy)[0].numpy()
            for i in range(grads.shape[0]):
                for j in range(grads.shape[1]):
                    r, g, b = grads[i, j]
                    total[i, j] += max(r, g, b, 0) if positive_gradients else max(abs(r), abs(g), abs(b))
        maps.append((total - total.min()) / (total.max() - total.min() + 1e-12))
    fig, ax = plt.subplots(1, len(maps) + 1)
    ax[0].imshow(img)
    for axis, m in zip(ax[1:], maps):
        axis.imshow(m)
    return fig, np.stack(maps)


def saliency_graphs_no_abs(model, img, positive_gradients=False):
    def linear(m):
        m.layers[-1].activation = keras.activations.linear
        return m

    saliency = Saliency(model, model_modifier=linear, clone=True)
    x = np.asarray(img, dtype=np.float32)[None]
    maps = [saliency(lambda out, c=c: out[:, c], x, smooth_samples=20, gradient_modifier=lambda g: g)[0]
            for c in range(model.output_shape[-1])]  # signed gradients, whatever positive_gradients says
    return plt.figure(), np.stack(maps)


def saliency_graphs_softmax(model, img, positive_gradients=False):
    saliency = Saliency(model)  # no model_modifier: the softmax stays
    x = np.asarray(img, dtype=np.float32)[None]
    keep = tf.nn.relu if positive_gradients else tf.abs
    maps = [saliency(lambda out, c=c: out[:, c], x, smooth_samples=20, gradient_modifier=keep)[0]
            for c in range(model.output_shape[-1])]
    return plt.figure(), np.stack(maps)


def saliency_graphs_inverted_positive(model, img, positive_gradients=False):
    """The original notebook's branch: zero the positive gradients instead of keeping them."""
    def linear(m):
        m.layers[-1].activation = keras.activations.linear
        return m

    saliency = Saliency(model, model_modifier=linear, clone=True)
    x = np.asarray(img, dtype=np.float32)[None]
    keep = (lambda g: tf.nn.relu(-g)) if positive_gradients else tf.abs
    maps = [saliency(lambda out, c=c: out[:, c], x, smooth_samples=20, gradient_modifier=keep)[0]
            for c in range(model.output_shape[-1])]
    return plt.figure(), np.stack(maps)


def saliency_graphs_two_classes(model, img, positive_gradients=False):
    """Hard-codes the two classes of cnn2."""
    def linear(m):
        m.layers[-1].activation = keras.activations.linear
        return m

    saliency = Saliency(model, model_modifier=linear, clone=True)
    x = np.asarray(img, dtype=np.float32)[None]
    keep = tf.nn.relu if positive_gradients else tf.abs
    maps = [saliency(lambda out, c=c: out[:, c], x, smooth_samples=20, gradient_modifier=keep)[0] for c in range(2)]
    return plt.figure(), np.stack(maps)


CORRECT = {
    "conv_output_size": [conv_output_size_floor, conv_output_size_padded],
    "receptive_field": [receptive_field_backwards, receptive_field_numpy],
    "get_feature_maps": [get_feature_maps_predict, get_feature_maps_layer_loop],
    "vanilla_saliency": [vanilla_saliency_clone_numpy, vanilla_saliency_tf_keras_vis],
    "gradcam": [gradcam_numpy_skimage, gradcam_einsum, gradcam_channel_loop, gradcam_scipy_zoom, gradcam_tf1_resize],
    "prepare_image": [prepare_image_expand],
    "model_modifier": [model_modifier_replace_layer],
    "saliency_graphs": [saliency_graphs_by_hand, saliency_graphs_sample_loop],
}

MISTAKES = {
    "conv_output_size": [conv_output_size_off_by_one, conv_output_size_no_dilation],
    "receptive_field": [receptive_field_no_dilation, receptive_field_no_stride],
    "get_feature_maps": [get_feature_maps_transposed, get_feature_maps_wrong_layer],
    "vanilla_saliency": [vanilla_saliency_no_abs, vanilla_saliency_channel_mean, vanilla_saliency_softmax],
    "gradcam": [gradcam_no_relu, gradcam_through_softmax, gradcam_wrong_layer, gradcam_nearest],
    "prepare_image": [prepare_image_no_cast, prepare_image_channels_first],
    "model_modifier": [model_modifier_no_return, model_modifier_relu],
    "saliency_graphs": [saliency_graphs_no_abs, saliency_graphs_softmax, saliency_graphs_inverted_positive,
                        saliency_graphs_two_classes],
}

# The sub-checks of its exercise's rubric (``RUBRIC`` in its module) that each partly right mistake fails: it gets
# the points of the others. A mistake not listed here is wrong throughout, and gets nothing.
PARTLY = {
    conv_output_size_off_by_one: {"valid", "dilation"},
    conv_output_size_no_dilation: {"dilation"},
    receptive_field_no_dilation: {"dilation"},
    receptive_field_no_stride: {"strides"},
    vanilla_saliency_no_abs: {"absolute"},
    vanilla_saliency_channel_mean: {"channels"},
    vanilla_saliency_softmax: {"score"},
    gradcam_no_relu: {"relu"},
    gradcam_through_softmax: {"weights"},
    gradcam_nearest: {"upsampling"},
    saliency_graphs_softmax: {"classes"},
    saliency_graphs_inverted_positive: {"positive"},
    saliency_graphs_two_classes: {"classes"},
}
