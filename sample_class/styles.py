'''Correct answers in other ordinary styles, as whole solution cells: {solution cell's grade_id: source}.

Each must get full marks: what is graded is what the notebook computed, however it was written.
'''

LAMBDAS_AND_CONSTANTS = {
    "conv_output_size": '''\
SAME, VALID = "same", "valid"  # constants bound by tuple unpacking
span_of = lambda kernel_size, dilation: dilation * (kernel_size - 1) + 1
conv_output_size = lambda n, kernel_size, stride=1, padding=VALID, dilation=1: (
    -(-n // stride) if padding == SAME else (n - span_of(kernel_size, dilation)) // stride + 1)''',
    "receptive_field": '''\
import functools

START = (1, 1)  # (field, jump) before the first layer
receptive_field = lambda layers: functools.reduce(
    lambda acc, layer: (acc[0] + layer[2] * (layer[0] - 1) * acc[1], acc[1] * layer[1]), layers, START)[0]''',
    "vanilla_saliency": '''\
EPS, REDUCE = 1e-12, tf.reduce_max
linear = getattr(keras.activations, "linear")  # a constant bound by a call


def vanilla_saliency(model, img, class_index):
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.layers[-1].activation = linear
    x = tf.constant(img[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = copy(x, training=False)[0, class_index]
    s = REDUCE(tf.abs(tape.gradient(score, x)[0]), axis=-1).numpy()
    return (s - s.min()) / (s.max() - s.min() + EPS)''',
    "gradcam": '''\
try:
    from scipy.ndimage import zoom
except ImportError:
    zoom = None
EPS, METHOD = 1e-12, "bilinear"


def gradcam(model, img, class_index, layer_name):
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1))[0].numpy()
    if zoom is not None:  # scipy's bilinear zoom, as tf-keras-vis' own Grad-CAM upsamples
        cam = zoom(cam, (img.shape[0] / cam.shape[0], img.shape[1] / cam.shape[1]), order=1)
    else:
        cam = tf.image.resize(cam[..., None], img.shape[:2], method=METHOD)[..., 0].numpy()
    return (cam - cam.min()) / (cam.max() - cam.min() + EPS)''',
    "prepare_image_and_model_modifier": '''\
FLOAT = np.float32
prepare_image = lambda img: np.asarray(img, dtype=FLOAT)[None]
model_modifier = lambda m: (setattr(m.layers[-1], "activation", linear), m)[1]''',
    "saliency_graphs": '''\
SAMPLES, COLOURS = 20, ("Reds", "Greens", "Blues")


def saliency_graphs(model, img, positive_gradients=False):
    saliency = Saliency(model, model_modifier=model_modifier, clone=True)
    keep = tf.nn.relu if positive_gradients else tf.abs
    n = model.output_shape[-1]
    maps = np.stack([saliency(lambda out, c=c: out[:, c], prepare_image(img), smooth_samples=SAMPLES,
                              gradient_modifier=keep)[0] for c in range(n)])
    fig, ax = plt.subplots(1, n + 1, figsize=(3 * (n + 1), 3))
    ax[0].imshow(img)
    for c in range(n):
        ax[c + 1].imshow(maps[c], cmap=COLOURS[c % 3])
    return fig, maps''',
}

FUNCTIONAL = {
    "conv_output_size": '''\
import functools


def _output_side(n, kernel_size, stride=1, padding="valid", dilation=1, *, rounding=math.floor):
    if padding == "same":
        return math.ceil(n / stride)
    return rounding((n - dilation * (kernel_size - 1) - 1) / stride) + 1


conv_output_size = functools.partial(_output_side, rounding=math.floor)''',
    "receptive_field": '''\
def as_layer_list(function):
    """A decorator: any sequence of layers becomes a list of tuples."""
    @functools.wraps(function)
    def wrapper(layers):
        return function([tuple(layer) for layer in layers])
    return wrapper


@as_layer_list
def receptive_field(layers):
    field, jump = 1, 1
    for k, s, d in layers:
        field, jump = field + d * (k - 1) * jump, jump * s
    return field''',
    "get_feature_maps": '''\
class FeatureMaps:
    """A callable object: get_feature_maps(model, layer_name, img)."""

    def extractor(self, model, layer_name):
        return keras.Model(model.inputs, model.get_layer(layer_name).output)

    def __call__(self, model, layer_name, img):
        return np.asarray(self.extractor(model, layer_name)(img[None], training=False))[0]


get_feature_maps = FeatureMaps()''',
    "vanilla_saliency": '''\
def make_saliency(reduce_channels):
    """A closure over how the channels are reduced."""
    def saliency(model, img, class_index):
        last = model.layers[-1]
        body = keras.Model(model.inputs, last.input)
        x = tf.convert_to_tensor(img[None], dtype=tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = (body(x, training=False) @ last.kernel + last.bias)[0, class_index]
        grads = reduce_channels(np.abs(tape.gradient(score, x).numpy()[0]))
        return grads / grads.max()
    return saliency


vanilla_saliency = make_saliency(lambda g: g.max(axis=-1))''',
    "gradcam": '''\
def grad_cam(model, img, class_index, layer_name):
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        fmaps, features = probe(tf.constant(img[None], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, fmaps), axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(fmaps * weights[:, None, None, :], axis=-1))[0]
    cam = np.asarray(keras.ops.image.resize(cam[..., None], img.shape[:2], interpolation="bilinear"))[..., 0]
    return cam / cam.max() if cam.max() > 0 else cam


gradcam = grad_cam  # an alias''',
    "prepare_image_and_model_modifier": '''\
def _batch_of_one(img, dtype):
    return np.asarray(img, dtype=dtype)[np.newaxis]


prepare_image = functools.partial(_batch_of_one, dtype=np.float32)


def returns_model(change):
    """A decorator: change the model in place, then return it."""
    @functools.wraps(change)
    def wrapper(m):
        change(m)
        return m
    return wrapper


@returns_model
def model_modifier(m):
    m.layers[-1].activation = keras.activations.linear''',
    "saliency_graphs": '''\
from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
from tf_keras_vis.utils.scores import CategoricalScore


class SmoothGrad:
    """A helper class: every class's map in one batched call of tf-keras-vis."""

    def __init__(self, samples=20):
        self.samples = samples

    def __call__(self, model, img, positive_gradients=False):
        n = model.output_shape[-1]
        saliency = Saliency(model, model_modifier=ReplaceToLinear(), clone=True)
        keep = (lambda g: tf.maximum(g, 0.0)) if positive_gradients else tf.abs
        maps = saliency(CategoricalScore(list(range(n))), np.repeat(prepare_image(img), n, axis=0),
                        smooth_samples=self.samples, gradient_modifier=keep)
        fig, ax = plt.subplots(1, n + 1, figsize=(3 * (n + 1), 3))
        ax[0].imshow(img)
        for c in range(n):
            ax[c + 1].imshow(maps[c], cmap="viridis")
        return fig, np.asarray(maps)


saliency_graphs = SmoothGrad()''',
}
