/**
 * The VHD driver. How the pieces fit:
 *
 * <ul>
 *   <li>{@link org.jblock.driver.vpc.VpcDriver}: the stateless factory (probe, open, create, option
 *       specs).</li>
 *   <li>On-disk structures, immutable, decoded and encoded big-endian, validated elsewhere:
 *       {@code VhdFooter}, {@code DynamicHeader} (with its parent locators), {@code Geometry};
 *       {@code BlockAllocationTable} is the one mutable structure (an {@code int[]} with
 *       acquire/release access); {@code SectorBitmap} holds the bitmap operations;
 *       {@code VhdChecksum} the checksum; {@code VhdLayout} the sizes and limits.</li>
 *   <li>{@code VhdScanner}: the one reader of the metadata. It reads the footers (end of file,
 *       511-byte, copy at 0), the dynamic header and the BAT once, validates every field before it
 *       sizes or indexes anything, and returns a {@code VhdScan}: the metadata (the parent fields of a
 *       differencing image included) and every finding ({@code VhdFinding}: severity, structure,
 *       field, offset, expected vs actual, what it means for open, the repair it asks for).</li>
 *   <li>{@code VhdOpener}: builds the image from a scan, refusing on the findings that make I/O
 *       unsafe, or (salvage) reading around them; {@code VhdChecker}: check from a scan;
 *       {@code RepairPlan}: the writes a repair makes, computed from a scan before any is made.</li>
 *   <li>{@code FixedVhdImage} and {@code DynamicVhdImage}: the open images; the dynamic one documents
 *       its order of metadata writes, which makes it crash-safe.</li>
 *   <li>{@code VhdCreator}: new images, with sizes and geometry every peer reads alike.</li>
 * </ul>
 */
package org.jblock.driver.vpc;
