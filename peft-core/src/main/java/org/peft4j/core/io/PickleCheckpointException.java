package org.peft4j.core.io;

import java.nio.file.Path;

/**
 * A checkpoint is a Python pickle ({@code *.bin}, {@code *.pt}, {@code *.pth}, {@code *.pkl}, {@code *.ckpt}, or
 * pickle / torch-zip content). Pickles can execute code when loaded, so they are refused, never deserialized; the
 * message says how to convert the file to safetensors.
 */
public class PickleCheckpointException extends SafetensorsException {

    private static final long serialVersionUID = 1L;

    /**
     * @param file the refused file
     * @param why what identified it as a pickle
     */
    public PickleCheckpointException(Path file, String why) {
        super(file, null, why + "; pickle checkpoints are never loaded because unpickling can run arbitrary code."
                + " Convert it to safetensors once in Python, e.g. safetensors.torch.save_file("
                + "torch.load(path, weights_only=True), 'model.safetensors'), or save_pretrained("
                + "..., safe_serialization=True)");
    }
}
