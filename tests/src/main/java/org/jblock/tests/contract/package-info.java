/**
 * The driver contract kit: {@link org.jblock.tests.contract.BlockDriverContract}, the tests every
 * {@link org.jblock.api.spi.BlockDriver} passes. A driver's test class extends it and names the
 * driver; the kit needs block-api and JUnit Jupiter alone, so a third party adds
 * {@code org.jblock:tests} in test scope and nothing else of jblock.
 */
package org.jblock.tests.contract;
