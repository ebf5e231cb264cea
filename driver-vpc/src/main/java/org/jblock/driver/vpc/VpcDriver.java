package org.jblock.driver.vpc;

import java.io.IOException;

import org.jblock.api.BlockImage;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;

/** The VHD format. Being built: see the driver-vpc issue. */
public final class VpcDriver implements BlockDriver {

    public VpcDriver() {
    }

    @Override
    public String name() {
        return "vpc";
    }

    @Override
    public int probe(ProbeInput input) {
        return 0;
    }

    @Override
    public BlockImage open(OpenRequest request) throws IOException {
        throw new UnsupportedFeatureException("vpc: not built yet");
    }
}
