package org.jblock.shell.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QEMU's image names in jblock-img: --image-opts, json: and protocol prefixes, in every subcommand that opens. */
class ImageNamesTest {
    @TempDir
    Path dir;

    private Path image(String name) throws Exception {
        Path file = dir.resolve(name);
        Img.run("create", "-q", "-f", "vpc", file.toString(), "4M").assertSuccess();
        return file;
    }

    @Test
    void image_opts_name_the_format_and_file_with_qemu_keys() throws Exception {
        Path vhd = image("a,b.vhd");
        String opts = "driver=vpc,file.driver=file,file.filename=" + vhd.toString().replace(",", ",,");
        Img.Result info = Img.run("info", "--image-opts", opts).assertSuccess();
        assertTrue(info.out().contains("file format: vpc\n"), info.out());
        String size = Img.run("info", vhd.toString()).assertSuccess().out().lines()
                .filter(l -> l.startsWith("virtual size: ")).findFirst().orElseThrow();
        assertTrue(info.out().contains(size + "\n"), info.out());
        Img.run("map", "--image-opts", opts).assertSuccess();
        Img.run("check", "--image-opts", opts).assertSuccess();
        Img.Result same = Img.run("compare", "--image-opts", opts, opts);
        assertEquals(0, same.exitCode(), same.err());
        assertEquals("Images are identical.\n", same.out());
        Path raw = dir.resolve("copy.raw");
        Img.run("convert", "--image-opts", opts, "-O", "raw", raw.toString()).assertSuccess();
        assertEquals(Long.parseLong(size.replaceAll(".*\\((\\d+) bytes\\)", "$1")), Files.size(raw));
    }

    /**
     * A raw window (offset, size) is named by its json: options, in QEMU's member order, where plain
     * options leave the file's name; qemu-img's info prints the same, line for line.
     */
    @Test
    void a_raw_window_is_named_by_its_json_options_as_qemu_img_names_it() throws Exception {
        QemuImg.assumeInstalled();
        Path raw = dir.resolve("w.raw");
        Img.run("create", "-q", "-f", "raw", raw.toString(), "4M").assertSuccess();
        for (String opts : new String[] {
                "driver=raw,offset=1M,file.driver=file,file.filename=" + raw,
                "driver=raw,offset=1M,size=2M,file.filename=" + raw,
                "driver=raw,size=3M,file.driver=file,file.filename=" + raw + ",file.locking=off",
                "driver=raw,file.driver=file,file.filename=" + raw}) {
            String theirs = QemuImg.run("info", "--image-opts", opts).out();
            String ours = Img.run("info", "--image-opts", opts).assertSuccess().out();
            assertEquals(theirs, ours, opts);
        }
        assertTrue(Img.run("info", "--image-opts", "driver=raw,offset=1M,file.filename=" + raw).assertSuccess().out()
                .startsWith("image: json:{\"offset\": \"1M\", \"driver\": \"raw\", \"file\": {\"driver\": \"file\", "));
    }

    @Test
    void a_protocol_node_s_format_is_the_protocol_as_qemu_img_info_says() throws Exception {
        Path vhd = image("p.vhd");
        // qemu-img 7.2: "file format: file" for driver=file (and "nbd" for driver=nbd), not raw.
        Img.Result info = Img.run("info", "--image-opts", "driver=file,filename=" + vhd).assertSuccess();
        assertTrue(info.out().contains("file format: file\n"), info.out());
        Img.Result json = Img.run("info", "--output=json", "--image-opts", "driver=file,filename=" + vhd)
                .assertSuccess();
        assertTrue(json.out().contains("\"format\": \"file\""), json.out());
    }

    @Test
    void image_opts_with_a_format_is_refused_as_qemu_img_does() throws Exception {
        Path vhd = image("f.vhd");
        Img.Result r = Img.run("info", "--image-opts", "-f", "vpc", "file.filename=" + vhd);
        assertEquals(1, r.exitCode());
        assertEquals("jblock-img: --image-opts and --format are mutually exclusive\n", r.err());
    }

    @Test
    void a_json_filename_opens_anywhere_a_name_is_taken() throws Exception {
        Path vhd = image("j.vhd");
        String json = "json:{\"driver\": \"vpc\", \"file\": {\"driver\": \"file\", \"filename\": \"" + vhd + "\"}}";
        Img.Result info = Img.run("info", json).assertSuccess();
        // As qemu-img: a node whose options a plain filename says is named by that filename.
        assertTrue(info.out().startsWith("image: " + vhd + "\nfile format: vpc\n"), info.out());
        // as qemu-img: the file under the image is local, so its size on disk is known
        assertTrue(info.out().matches("(?s).*\ndisk size: [0-9.]+ [KMG]?i?B\n.*"), info.out());
        Img.Result bad = Img.run("info", "json:{bad}");
        assertEquals("jblock-img: Could not open 'json:{bad}': Could not parse the JSON options: JSON parse error,"
                + " invalid keyword 'bad'\n", bad.err());
    }

    @Test
    void a_prefix_nobody_claims_and_file_escaping() throws Exception {
        Img.Result r = Img.run("info", "foo:bar.vhd");
        assertEquals("jblock-img: Could not open 'foo:bar.vhd': Unknown protocol 'foo'\n", r.err());
        Path colon = image("c:d.vhd");
        Img.Result escaped = Img.run("info", "file:" + colon).assertSuccess();
        assertTrue(escaped.out().contains("file format: vpc\n"), escaped.out());
    }

    @Test
    void a_bare_word_as_image_opts_names_no_image() {
        Img.Result r = Img.run("info", "--image-opts", "t2.vhd");
        assertEquals("jblock-img: Could not open 't2.vhd': Cannot find device='t2.vhd' nor node-name='t2.vhd'\n",
                r.err());
    }
}
