package org.jblock.tests.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.jblock.api.BlockFile;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.OptionSpec;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.api.spi.BlockProtocol;
import org.jblock.api.spi.ProtocolRequest;
import org.jblock.api.spi.support.DelegatingBlockFile;
import org.jblock.tests.contract.BlockDriverContractCatchesBrokenDriversTest.OnlyInsideThisTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each check of the protocol kit catches the bug it is there for: the kit runs, through the JUnit
 * launcher, against the local-file protocol with one bug planted, and the matching check fails
 * (others may too); the same kit passes the protocol without a bug, both as a protocol that writes
 * and as one that only reads. (The nested classes are not {@code *Test} classes, so the build does
 * not run them on their own.)
 */
class BlockProtocolContractCatchesBrokenProtocolsTest {

    static Stream<Arguments> plantedBugs() {
        return Stream.of(
                Arguments.of(NameWithCapitals.class, "its_name_and_prefixes_are_ones_the_registry_accepts"),
                Arguments.of(ParsesIntoAnUnknownOption.class, "its_filenames_and_locations_parse_into_options_it_accepts"),
                Arguments.of(LocationNamesOtherBytes.class, "its_location_names_the_same_bytes_again"),
                Arguments.of(PrepareFails.class, "the_hint_that_opens_follow_never_fails_and_changes_no_open"),
                Arguments.of(OpensNothingAsAnEmptyFile.class, "a_name_that_names_nothing_is_an_io_error_naming_it"),
                Arguments.of(MissingErrorNamesNothing.class, "a_name_that_names_nothing_is_an_io_error_naming_it"),
                Arguments.of(ReadOnlyHandleClaimsWrite.class, "capabilities_tell_the_truth_about_writing"),
                Arguments.of(RefusesWritesNamingNothing.class, "capabilities_tell_the_truth_about_writing"),
                Arguments.of(LeavesOutTheWritingChecks.class, "a_protocol_that_writes_runs_the_writing_checks_too"),
                Arguments.of(DiscardDropsTheNextBlock.class, "discard_keeps_the_size_and_every_byte_outside_the_range"),
                Arguments.of(Correct.class, null),
                Arguments.of(CorrectReadOnly.class, null));
    }

    @ParameterizedTest(name = "{0} fails {1}")
    @MethodSource("plantedBugs")
    void the_kit_catches_a_planted_bug_and_passes_a_correct_protocol(Class<?> contract, String check) {
        List<String> failed = OnlyInsideThisTest.failedChecks(contract);
        if (check == null) {
            assertEquals(List.of(), failed, "the kit fails a correct protocol");
        } else {
            assertTrue(failed.contains(check), () -> check + " let " + contract.getSimpleName() + " pass; failed: " + failed);
        }
    }

    /** The local-file protocol, with a bug planted by overriding one method. */
    static class Delegating implements BlockProtocol {
        final BlockProtocol file = ImageStore.fileProtocol();

        @Override
        public String name() {
            return file.name();
        }

        @Override
        public Set<String> prefixes() {
            return file.prefixes();
        }

        @Override
        public Map<String, String> parseFilename(String filename) throws InvalidOptionException {
            return file.parseFilename(filename);
        }

        @Override
        public List<OptionSpec<?>> openOptions() {
            return file.openOptions();
        }

        @Override
        public void prepare(Map<String, String> options) {
            file.prepare(options);
        }

        @Override
        public BlockFile open(ProtocolRequest request) throws IOException {
            return file.open(request);
        }
    }

    // Planted contracts run only when a test launches them, as the driver kit's do.
    @ExtendWith(OnlyInsideThisTest.class)
    abstract static class Planted extends BlockProtocolContract {
        private final BlockProtocol protocol;

        @TempDir
        Path dir;

        Planted(BlockProtocol protocol) {
            this.protocol = protocol;
        }

        @Override
        protected BlockProtocol protocol() {
            return protocol;
        }

        @Override
        protected String store(byte[] content) throws IOException {
            return FileProtocolContractTest.store(dir, content);
        }

        @Override
        protected String missing() {
            return FileProtocolContractTest.missing(dir);
        }
    }

    /** A protocol whose files are passed through {@code bug}. */
    static Delegating filesThrough(UnaryOperator<BlockFile> bug) {
        return new Delegating() {
            @Override
            public BlockFile open(ProtocolRequest request) throws IOException {
                return bug.apply(file.open(request));
            }
        };
    }

    /** What a protocol with a bug does instead of failing with {@link NoSuchFileException}. */
    interface InsteadOfMissing {
        BlockFile open(ProtocolRequest request) throws IOException;
    }

    static Delegating whenMissing(InsteadOfMissing instead) {
        return new Delegating() {
            @Override
            public BlockFile open(ProtocolRequest request) throws IOException {
                try {
                    return file.open(request);
                } catch (NoSuchFileException e) {
                    return instead.open(request);
                }
            }
        };
    }

    static final class Correct extends Planted {
        Correct() {
            super(new Delegating());
        }

        @Nested
        class Writing extends WritableFiles {
        }
    }

    static final class CorrectReadOnly extends Planted {
        CorrectReadOnly() {
            super(new Delegating() {
                @Override
                public BlockFile open(ProtocolRequest request) throws IOException {
                    if (!request.readOnly()) {
                        throw new UnsupportedFeatureException(request.options().asMap().get("filename") + ": read-only storage");
                    }
                    return file.open(request);
                }
            });
        }
    }

    static final class PrepareFails extends Planted {
        PrepareFails() {
            super(new Delegating() {
                @Override
                public void prepare(Map<String, String> options) {
                    throw new IllegalStateException("not ready");
                }
            });
        }
    }

    static final class NameWithCapitals extends Planted {
        NameWithCapitals() {
            super(new Delegating() {
                @Override
                public String name() {
                    return "File";
                }
            });
        }
    }

    static final class ParsesIntoAnUnknownOption extends Planted {
        ParsesIntoAnUnknownOption() {
            super(new Delegating() {
                @Override
                public Map<String, String> parseFilename(String filename) throws InvalidOptionException {
                    Map<String, String> options = new LinkedHashMap<>(file.parseFilename(filename));
                    options.put("colour", "blue");
                    return options;
                }

                @Override
                public BlockFile open(ProtocolRequest request) throws IOException {
                    return file.open(request);
                }
            });
        }
    }

    static final class LocationNamesOtherBytes extends Planted {
        LocationNamesOtherBytes() {
            super(filesThrough(opened -> new DelegatingBlockFile(opened) {
                @Override
                public String location() {
                    return super.location() + ".old";
                }
            }));
        }
    }

    static final class OpensNothingAsAnEmptyFile extends Planted {
        OpensNothingAsAnEmptyFile() {
            super(whenMissing(request -> MemoryBlockFile.of("nothing", new byte[0]).reopen(request.readOnly())));
        }
    }

    static final class MissingErrorNamesNothing extends Planted {
        MissingErrorNamesNothing() {
            super(whenMissing(request -> {
                throw new IOException("No such file or directory");
            }));
        }
    }

    static final class ReadOnlyHandleClaimsWrite extends Planted {
        ReadOnlyHandleClaimsWrite() {
            super(filesThrough(opened -> new DelegatingBlockFile(opened) {
                @Override
                public Set<Capability> capabilities() {
                    Set<Capability> claimed = EnumSet.of(Capability.WRITE);
                    claimed.addAll(super.capabilities());
                    return claimed;
                }
            }));
        }

        @Nested
        class Writing extends WritableFiles {
        }
    }

    static final class RefusesWritesNamingNothing extends Planted {
        RefusesWritesNamingNothing() {
            super(new Delegating() {
                @Override
                public BlockFile open(ProtocolRequest request) throws IOException {
                    if (!request.readOnly()) {
                        throw new UnsupportedFeatureException("read-only storage");
                    }
                    return file.open(request);
                }
            });
        }
    }

    static final class LeavesOutTheWritingChecks extends Planted {
        LeavesOutTheWritingChecks() {
            super(new Delegating());
        }
    }

    static final class DiscardDropsTheNextBlock extends Planted {
        DiscardDropsTheNextBlock() {
            super(filesThrough(opened -> new DelegatingBlockFile(opened) {
                @Override
                public void discard(long offset, long length) throws IOException {
                    super.writeZeroes(offset, length + 4096, true);
                }
            }));
        }

        @Nested
        class Writing extends WritableFiles {
        }
    }
}
