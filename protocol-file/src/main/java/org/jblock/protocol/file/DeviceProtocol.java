package org.jblock.protocol.file;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.OptionSpec;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/**
 * What QEMU's {@code host_device} and {@code host_cdrom} drivers do, for the two protocols of those
 * names: a character or block device by name ({@code driver=host_device,filename=/dev/sdb}), with
 * the file protocol's options ({@code cache.direct} included) and locks. Anything else is refused ({@code 'host_device' driver
 * requires 'x' to be either a character or block device}). Each name is a final provider class with
 * nothing of its own but the name, as ServiceLoader needs one class per provider.
 */
abstract class DeviceProtocol implements BlockProtocol {
    private final String name;

    DeviceProtocol(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return "a character or block device";
    }

    @Override
    public final Map<String, String> parseFilename(String filename) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put(FileProtocol.FILENAME.name(), filename.substring(name.length() + 1));
        return options;
    }

    @Override
    public final List<OptionSpec<?>> openOptions() {
        return List.of(FileProtocol.FILENAME, FileProtocol.LOCKING, DIRECT);
    }

    @Override
    public final BlockFile open(ProtocolRequest request) throws IOException {
        LocalBlockFile device = LocalBlockFile.openDevice(FileProtocol.path(request.options()), request.readOnly(), name,
                FileProtocol.direct(request));
        return FileProtocol.locked(device, request);
    }
}
