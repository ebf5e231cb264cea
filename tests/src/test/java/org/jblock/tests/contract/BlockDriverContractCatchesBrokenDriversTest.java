package org.jblock.tests.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Stream;

import org.jblock.api.BlockFile;
import org.jblock.api.BlockImage;
import org.jblock.api.Extent;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.OptionSpec;
import org.jblock.api.spi.BlockDriver;
import org.jblock.api.spi.CreateRequest;
import org.jblock.api.spi.OpenRequest;
import org.jblock.api.spi.ProbeInput;
import org.jblock.api.spi.support.DelegatingBlockImage;
import org.jblock.driver.raw.RawDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Each check of the contract kit catches the bug it is there for: the kit runs, through the JUnit
 * launcher, against the raw driver with one bug planted, and the matching check must fail on both
 * storages. (The nested contract classes are not {@code *Test} classes, so the build does not run
 * them on their own.)
 */
class BlockDriverContractCatchesBrokenDriversTest {
    private static final int SECTOR = 512;

    static Stream<Arguments> brokenDrivers() {
        return Stream.of(
                Arguments.of(LosesTheLastByteOfEachWrite.class, "randomWritesReadBackAsTheModel"),
                Arguments.of(IgnoresTheBufferOffset.class, "randomWritesReadBackAsTheModel"),
                Arguments.of(ForgetsWritesOnClose.class, "dataSurvivesCloseAndReopen"),
                Arguments.of(ServesRequestsBeyondTheEnd.class, "requestsBeyondTheEndAreRefusedAndChangeNothing"),
                Arguments.of(ZeroesNextToTheDiscardedRange.class, "writeZeroesAndDiscardChangeOnlyTheirRange"),
                Arguments.of(ReportsDataAsZeros.class, "blockStatusCoversEachRangeExactly"),
                Arguments.of(MapsDataOneSectorOff.class, "blockStatusCoversEachRangeExactly"),
                Arguments.of(ClaimsEveryFile.class, "probeScoresOtherFilesBelowAClaim"),
                Arguments.of(CrashesOnShortFiles.class, "foreignAndTruncatedFilesFailWithATypedError"),
                Arguments.of(OpensAnyFile.class, "foreignAndTruncatedFilesFailWithATypedError"),
                Arguments.of(FailsOnTheSecondClose.class, "closingTwiceIsHarmless"),
                Arguments.of(WorksAfterClose.class, "useAfterCloseFailsClearly"));
    }

    @ParameterizedTest(name = "{0} fails {1}")
    @MethodSource("brokenDrivers")
    void the_kit_catches_a_planted_bug(Class<? extends BlockDriverContract> contract, String check) {
        List<TestExecutionResult> ofCheck = runCheck(contract, check);
        assertEquals(BlockDriverContract.Storage.values().length, ofCheck.size(),
                () -> check + " did not run once per storage");
        for (TestExecutionResult result : ofCheck) {
            assertEquals(TestExecutionResult.Status.FAILED, result.getStatus(),
                    () -> check + " let " + contract.getSimpleName() + " pass");
        }
    }

    @Test
    void a_failure_names_the_seed_that_repeats_it() {
        String before = System.getProperty(BlockDriverContract.SEED_PROPERTY);
        System.setProperty(BlockDriverContract.SEED_PROPERTY, "4242");
        try {
            List<TestExecutionResult> failed = runCheck(LosesTheLastByteOfEachWrite.class,
                    "randomWritesReadBackAsTheModel");
            assertEquals(BlockDriverContract.Storage.values().length, failed.size(),
                    "runs of the check, one per storage");
            for (TestExecutionResult result : failed) {
                String message = result.getThrowable().map(Throwable::getMessage).orElse("");
                assertTrue(message.contains("seed 4242") && message.contains("-Djblock.contract.seed=4242"),
                        () -> "the failure does not say how to repeat it: " + message);
            }
        } finally {
            if (before == null) {
                System.clearProperty(BlockDriverContract.SEED_PROPERTY);
            } else {
                System.setProperty(BlockDriverContract.SEED_PROPERTY, before);
            }
        }
    }

    /** @return the outcome of each run (one per storage) of one check of the kit */
    private static List<TestExecutionResult> runCheck(Class<?> contract, String check) {
        List<TestExecutionResult> results = new ArrayList<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (test.isTest()) {
                    results.add(result);
                }
            }
        };
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectMethod(contract, check, BlockDriverContract.Storage.class.getName()))
                .configurationParameter(OnlyInsideThisTest.PARAMETER, "true")
                .build(), listener);
        return results;
    }

    // ---------------------------------------------------------------- the planted bugs

    static final class LosesTheLastByteOfEachWrite extends BrokenRawContract {
        LosesTheLastByteOfEachWrite() {
            super(image -> new DelegatingBlockImage(image) {
                @Override
                public void write(long offset, ByteBuffer src) throws IOException {
                    ByteBuffer shorter = src.duplicate();
                    shorter.limit(shorter.limit() - (shorter.remaining() > 1 ? 1 : 0));
                    super.write(offset, shorter);
                    src.position(src.limit());
                }
            });
        }
    }

    static final class IgnoresTheBufferOffset extends BrokenRawContract {
        IgnoresTheBufferOffset() {
            super(image -> new DelegatingBlockImage(image) {
                @Override
                public void read(long offset, ByteBuffer dst) throws IOException {
                    if (!dst.hasArray()) {
                        super.read(offset, dst);
                        return;
                    }
                    // The bug: the backing array from index 0, not from the buffer's own start.
                    super.read(offset, ByteBuffer.wrap(dst.array(), 0, dst.remaining()));
                    dst.position(dst.limit());
                }
            });
        }
    }

    static final class ForgetsWritesOnClose extends BrokenRawContract {
        @Override
        protected BlockDriver driver() {
            return new BrokenRawDriver(Function.identity()) {
                @Override
                public BlockImage open(OpenRequest request) throws IOException {
                    // Works on a copy in memory and never writes it back.
                    MemoryBlockFile copy = MemoryBlockFile.of(request.file().name(), bytesOf(request.file()));
                    request.file().close();
                    return super.open(new OpenRequest(copy, request.readOnly(), request.options()));
                }
            };
        }

        private static byte[] bytesOf(BlockFile file) throws IOException {
            ByteBuffer all = ByteBuffer.allocate((int) file.size());
            file.readFully(all, 0);
            return all.array();
        }
    }

    static final class ServesRequestsBeyondTheEnd extends BrokenRawContract {
        ServesRequestsBeyondTheEnd() {
            super(image -> new DelegatingBlockImage(image) {
                @Override
                public void read(long offset, ByteBuffer dst) throws IOException {
                    long size = size();
                    if (offset >= 0 && offset < size && dst.remaining() > size - offset) {
                        // The bug: a short read instead of a refusal.
                        super.read(offset, dst.slice().limit((int) (size - offset)));
                        dst.position(dst.limit());
                        return;
                    }
                    super.read(offset, dst);
                }
            });
        }
    }

    static final class ZeroesNextToTheDiscardedRange extends BrokenRawContract {
        ZeroesNextToTheDiscardedRange() {
            super(image -> new DelegatingBlockImage(image) {
                @Override
                public void discard(long offset, long length) throws IOException {
                    long start = Math.max(0, offset - 1);
                    super.writeZeroes(start, offset + length - start, true);
                }
            });
        }
    }

    static final class ReportsDataAsZeros extends BrokenRawContract {
        ReportsDataAsZeros() {
            super(image -> new DelegatingBlockImage(image) {
                @Override
                public List<Extent> blockStatus(long offset, long length) throws IOException {
                    super.blockStatus(offset, length);
                    return List.of(Extent.zero(offset, length, true));
                }
            });
        }
    }

    /** Names its storage, but its host offsets point one sector past where the data lies. */
    static final class MapsDataOneSectorOff extends BrokenRawContract {
        MapsDataOneSectorOff() {
            super(image -> new DelegatingBlockImage(image) {
                @Override
                public List<Extent> blockStatus(long offset, long length) throws IOException {
                    List<Extent> shifted = new ArrayList<>();
                    for (Extent extent : super.blockStatus(offset, length)) {
                        shifted.add(extent.hostOffset().isEmpty() ? extent : new Extent(extent.start(), extent.length(),
                                extent.data(), extent.zero(), extent.allocated(),
                                OptionalLong.of(extent.hostOffset().getAsLong() + 512), extent.depth()));
                    }
                    return shifted;
                }

                @Override
                public Optional<BlockFile> hostStorage() {
                    return delegate.hostStorage();
                }
            });
        }
    }

    static final class ClaimsEveryFile extends BrokenRawContract {
        @Override
        protected BlockDriver driver() {
            return new BrokenRawDriver(Function.identity()) {
                @Override
                public int probe(ProbeInput input) {
                    return 60;
                }
            };
        }

        @Override
        protected boolean recognisesContent() {
            return true;
        }
    }

    static final class CrashesOnShortFiles extends BrokenRawContract {
        @Override
        protected BlockDriver driver() {
            return new BrokenRawDriver(Function.identity()) {
                @Override
                public BlockImage open(OpenRequest request) throws IOException {
                    // The bug: indexes a 512-byte header that a short file does not hold.
                    if (request.file().size() < SECTOR) {
                        throw new ArrayIndexOutOfBoundsException("Index 511 out of bounds for length "
                                + request.file().size());
                    }
                    return super.open(request);
                }
            };
        }
    }

    /** Claims its images by content, yet opens files of other formats as if they were its own. */
    static final class OpensAnyFile extends BrokenRawContract {
        @Override
        protected boolean recognisesContent() {
            return true;
        }

        @Override
        protected BlockDriver driver() {
            return new BrokenRawDriver(Function.identity()) {
                @Override
                public int probe(ProbeInput input) {
                    return PROBE_CERTAIN;
                }
            };
        }
    }

    static final class FailsOnTheSecondClose extends BrokenRawContract {
        FailsOnTheSecondClose() {
            super(image -> new DelegatingBlockImage(image) {
                private boolean closed;

                @Override
                public void close() throws IOException {
                    if (closed) {
                        throw new IOException("already closed");
                    }
                    closed = true;
                    super.close();
                }
            });
        }
    }

    static final class WorksAfterClose extends BrokenRawContract {
        WorksAfterClose() {
            super(image -> new DelegatingBlockImage(image) {
                @Override
                public void close() {
                    // The bug: close releases nothing, so the image keeps working.
                }
            });
        }
    }

    // ---------------------------------------------------------------- the raw driver, with a bug

    /** The contract run against raw with one bug planted in its images (or in the driver itself). */
    @ExtendWith(OnlyInsideThisTest.class)
    abstract static class BrokenRawContract extends BlockDriverContract {
        private final Function<BlockImage, BlockImage> bug;

        BrokenRawContract() {
            this(Function.identity());
        }

        BrokenRawContract(Function<BlockImage, BlockImage> bug) {
            this.bug = bug;
        }

        @Override
        protected BlockDriver driver() {
            return new BrokenRawDriver(bug);
        }

        @Override
        protected boolean recognisesContent() {
            return false;
        }
    }

    /**
     * Keeps the broken contracts from running on their own, which a test filter that names them
     * (e.g. {@code -Dtest='*Contract*'}) would otherwise do: they are meant to fail.
     */
    static final class OnlyInsideThisTest implements ExecutionCondition {
        static final String PARAMETER = "jblock.contract.planted-bugs";

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getConfigurationParameter(PARAMETER, Boolean::parseBoolean).orElse(false)
                    ? ConditionEvaluationResult.enabled("run by BlockDriverContractCatchesBrokenDriversTest")
                    : ConditionEvaluationResult.disabled("a driver with a planted bug, run only by "
                            + "BlockDriverContractCatchesBrokenDriversTest");
        }

        /** Runs {@code contract} (a kit with a planted bug) through the JUnit launcher. @return the names of the checks that failed */
        static List<String> failedChecks(Class<?> contract) {
            List<String> failed = new ArrayList<>();
            TestExecutionListener listener = new TestExecutionListener() {
                @Override
                public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                    if (test.isTest() && result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                        failed.add(test.getDisplayName().replace("()", ""));
                    }
                }
            };
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectClass(contract))
                    .configurationParameter(PARAMETER, "true")
                    .build(), listener);
            return failed;
        }
    }

    /** Raw, with each opened image passed through {@code bug}. */
    static class BrokenRawDriver implements BlockDriver {
        private final RawDriver raw = new RawDriver();
        private final Function<BlockImage, BlockImage> bug;

        BrokenRawDriver(Function<BlockImage, BlockImage> bug) {
            this.bug = bug;
        }

        @Override
        public String name() {
            return raw.name();
        }

        @Override
        public int probe(ProbeInput input) {
            return raw.probe(input);
        }

        @Override
        public BlockImage open(OpenRequest request) throws IOException {
            return bug.apply(raw.open(request));
        }

        @Override
        public void create(CreateRequest request) throws IOException {
            raw.create(request);
        }

        @Override
        public List<OptionSpec<?>> createOptions() {
            return raw.createOptions();
        }
    }
}
