#!/usr/bin/env python3
"""Writes pipelines/experiments/*.json: the paper's corpora (RAVDESS, EMOVO, IEMOCAP) and EmoDB, each
in both protocol families (random utterance splits and speaker-independent splits), with one front
end, augmentation and recipe. Run it after changing the shared parts; the tests validate the output."""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "pipelines", "experiments")

def pipeline(name, summary, reader, split, decode_channel="mix"):
    return {
        "schemaVersion": 1,
        "name": name,
        "summary": summary,
        "arguments": {
            "root": {"summary": "the corpus folder"},
            "out": {"summary": "report and checkpoints folder", "default": f"../../runs/{name}"},
            "epochs": {"summary": "training epochs (the paper: 100)", "default": 100},
            "mels": {"summary": "Mel bands (64 halves the cost of 128; see docs/experiments.md)", "default": 64},
            "frames": {"summary": "frames per example (300 = 3 s)", "default": 300},
        },
        "report": "${out}/report.json",
        "nodes": [
            {"id": "corpus", **reader},
            {"id": "split", "inputs": {"items": "corpus.items"}, **split},
            {"id": "decode", "type": "audio.decode", "inputs": {"items": "split.items"}, "params": {"channel": decode_channel}},
            {"id": "resample", "type": "audio.resample", "inputs": {"audio": "decode.audio"},
             "params": {"sampleRate": 16000, "backend": "soxr", "quality": "hq"}},
            {"id": "logmel", "type": "spectrum.logMel", "inputs": {"audio": "resample.audio"},
             "params": {"fftSize": 512, "windowLength": 400, "hop": 160, "melBands": "$mels", "fmin": 0, "fmax": 8000,
                        "normalize": "utterance"}},
            {"id": "crop", "type": "spectrum.fixLength", "inputs": {"spectrum": "logmel.spectrum"}, "params": {"frames": "$frames"}},
            {"id": "shift", "type": "augment.timeShift", "inputs": {"spectrum": "crop.spectrum"}, "params": {"maxShift": 30}},
            {"id": "fmask", "type": "augment.freqMask", "inputs": {"spectrum": "shift.spectrum"}, "params": {"count": 1, "maxWidth": 8}},
            {"id": "tmask", "type": "augment.timeMask", "inputs": {"spectrum": "fmask.spectrum"}, "params": {"count": 1, "maxWidth": 40}},
            {"id": "train", "type": "model.train", "inputs": {"features": "tmask.spectrum"},
             "params": {"model": "emohrnet-s", "epochs": "$epochs", "batchSize": 64, "optimizer": "adam", "learningRate": 0.001,
                        "beta1": 0.9, "beta2": 0.999, "weightDecay": 0.0001, "selection": "bestValidation",
                        "selectionMetric": "accuracy", "checkpoints": "${out}/checkpoints"}},
            {"id": "metrics", "type": "metrics.classification",
             "inputs": {"predictions": "train.predictions", "history": "train.history"},
             "params": {"out": "$out", "title": summary}},
        ],
    }

RANDOM10 = {"type": "split.kfold", "params": {"folds": 10, "validation": "fraction", "validationFraction": 0.1}}

experiments = {
    "ravdess-random-10fold": ("RAVDESS speech, 8 classes, random stratified 10-fold (actors on both sides)",
                              {"type": "corpus.ravdess", "params": {"root": "$root", "vocalChannel": "speech"}}, RANDOM10, "mix"),
    "ravdess-speaker-6fold": ("RAVDESS speech, 8 classes, speaker-independent 6 folds of 4 actors; validation: the next fold's actors",
                              {"type": "corpus.ravdess", "params": {"root": "$root", "vocalChannel": "speech"}},
                              {"type": "split.leaveOneSpeakerOut", "params": {"folds": 6, "validation": "nextFold"}}, "mix"),
    "emovo-random-10fold": ("EMOVO, 7 classes, random stratified 10-fold (actors on both sides)",
                            {"type": "corpus.emovo", "params": {"root": "$root"}}, RANDOM10, "0"),
    "emovo-loso": ("EMOVO, 7 classes, leave-one-speaker-out over 6 actors; validation: the next actor",
                   {"type": "corpus.emovo", "params": {"root": "$root"}},
                   {"type": "split.leaveOneSpeakerOut", "params": {"validation": "nextFold"}}, "0"),
    "iemocap-loso-session": ("IEMOCAP, 4 classes (excited merged into happy), leave-one-session-out; validation: the next session",
                             {"type": "corpus.iemocap", "params": {"root": "$root", "mergeExcitedIntoHappy": True}},
                             {"type": "split.leaveOneSessionOut", "params": {"validation": "nextFold"}}, "mix"),
    "iemocap-random-10fold": ("IEMOCAP, 4 classes (excited merged into happy), random stratified 10-fold (speakers on both sides)",
                              {"type": "corpus.iemocap", "params": {"root": "$root", "mergeExcitedIntoHappy": True}}, RANDOM10, "mix"),
    "emodb-loso": ("EmoDB, 7 classes, leave-one-speaker-out over 10 speakers; validation: the next speaker",
                   {"type": "corpus.emodb", "params": {"root": "$root"}},
                   {"type": "split.leaveOneSpeakerOut",
                    "params": {"speakers": ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"], "validation": "nextFold"}}, "mix"),
    "emodb-random-10fold": ("EmoDB, 7 classes, random stratified 10-fold (speakers on both sides)",
                            {"type": "corpus.emodb", "params": {"root": "$root"}}, RANDOM10, "mix"),
}

os.makedirs(OUT, exist_ok=True)
for name, (summary, reader, split, channel) in experiments.items():
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(pipeline(name, summary, reader, split, channel), f, indent=2)
        f.write("\n")
print(f"wrote {len(experiments)} pipelines to {os.path.normpath(OUT)}")
