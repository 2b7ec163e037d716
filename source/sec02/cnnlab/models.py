"""The section's two CNNs, built with the Keras 3 functional API.

Functional, not ``Sequential``: tf-keras-vis 0.8.7 needs ``model.output_names``, which a Keras 3
``Sequential`` lacks. Plain Keras 3 (no ``tf.*``), so the models build and train on any backend,
JAX on a GPU included. Layers have stable names: the exercises and tests address them by name.
"""
import keras
import numpy as np
from keras import layers

INPUT_SHAPE = (128, 128, 3)
CONV_LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")


def _stem(inputs, filters, conv_dropout=None):
    """Five convolutions: a 2x2 "same" one at stride 1, then four "valid" ones at stride 2."""
    x = layers.Conv2D(filters[0], 2, strides=1, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(filters[1], 3, strides=2, activation="relu", name="conv2")(x)
    if conv_dropout is not None:
        # Plain Dropout zeroes single activations; neighbouring pixels of a feature map carry nearly the same
        # information, so it regularises little here (SpatialDropout2D would drop whole feature maps).
        x = layers.Dropout(conv_dropout, name="conv_dropout")(x)
    x = layers.Conv2D(filters[2], 3, strides=2, activation="relu", name="conv3")(x)
    x = layers.Conv2D(filters[3], 2, strides=2, activation="relu", name="conv4")(x)
    x = layers.Conv2D(filters[4], 2, strides=2, activation="relu", name="conv5")(x)
    return layers.Flatten(name="flatten")(x)


def build_cnn1(input_shape=INPUT_SHAPE):
    """Binary classifier: one sigmoid output, P(zebra)."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = _stem(inputs, (16, 16, 17, 32, 64))
    x = layers.Dense(25, name="dense1")(x)
    x = layers.Dense(10, name="dense2")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="cnn1")
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def build_cnn2(input_shape=INPUT_SHAPE):
    """Two-class softmax classifier (0 = horse, 1 = zebra), the model of breakout room 2."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = _stem(inputs, (16, 16, 17, 22, 44), conv_dropout=0.005)
    x = layers.Dense(25, name="dense1")(x)
    x = layers.Dropout(0.05, name="dropout1")(x)
    x = layers.Dense(10, name="dense2")(x)
    x = layers.Dropout(0.05, name="dropout2")(x)
    outputs = layers.Dense(2, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="cnn2")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


BUILDERS = {"cnn1": build_cnn1, "cnn2": build_cnn2}


def predict_labels(model, images, batch_size=32):
    """Class predictions (0 = horse, 1 = zebra) for either model's output layout.

    Batches of 32 (Keras' default), each through ``predict_on_batch``: a batch's first feature maps are 1 MiB an
    image, so larger batches cost memory and no time on a CPU, and unlike ``predict`` no dataset copies
    ``images`` first."""
    probs = np.concatenate([model.predict_on_batch(images[i:i + batch_size])
                            for i in range(0, len(images), batch_size)])
    if probs.shape[-1] == 1:
        return (probs[:, 0] > 0.5).astype("int64")
    return probs.argmax(axis=-1).astype("int64")
