package org.jblock.protocol.file;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.jblock.api.BlockFile;
import org.jblock.api.OptionSpec;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;

/** QEMU's {@code host_cdrom}: a character or block device, with no media handling (see {@link DeviceProtocol}). */
public final class HostCdromProtocol implements BlockProtocol {
    private final DeviceProtocol device = new DeviceProtocol("host_cdrom");

    @Override
    public String name() {
        return device.name();
    }

    @Override
    public String description() {
        return device.description();
    }

    @Override
    public Map<String, String> parseFilename(String filename) {
        return device.parseFilename(filename);
    }

    @Override
    public List<OptionSpec<?>> openOptions() {
        return device.openOptions();
    }

    @Override
    public BlockFile open(ProtocolRequest request) throws IOException {
        return device.open(request);
    }
}
