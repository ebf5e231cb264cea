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
 *   <li>{@code VhdOpener}: reads the footers (end of file, 511-byte, copy at 0), computes the virtual
 *       size, validates every field before it sizes or indexes anything, and builds the image; what it
 *       tolerated (a footer copy in use, a checksum ignored for rescue) is kept in {@code VhdFacts}.</li>
 *   <li>{@code FixedVhdImage} and {@code DynamicVhdImage}: the open images; the dynamic one documents
 *       its order of metadata writes, which makes it crash-safe.</li>
 *   <li>{@code VhdCreator}: new images, with sizes and geometry every peer reads alike.</li>
 * </ul>
 */
package org.jblock.driver.vpc;
