using Dllm.Native;
using Dllm.Tests.Infrastructure;

namespace Dllm.Tests.Native;

public class ElfSymbolVersionsTests
{
    [Fact]
    public void Pristine_LibTorchSharp_requires_GLIBCXX_3_4_32_strongly()
    {
        byte[] elf = File.ReadAllBytes(TestPaths.PristineLibTorchSharp);

        var requirements = ElfSymbolVersions.ReadRequirements(elf);

        var required = Assert.Single(requirements, r => r.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", required.File);
        Assert.False(required.IsWeak);
        Assert.Contains(requirements, r => r.File == "libc.so.6" && r.Version.StartsWith("GLIBC_2.", StringComparison.Ordinal));
    }

    [Fact]
    public void MarkRequirementWeak_changes_exactly_that_flag_and_is_idempotent()
    {
        byte[] original = File.ReadAllBytes(TestPaths.PristineLibTorchSharp);
        byte[] patched = (byte[])original.Clone();

        int changed = ElfSymbolVersions.MarkRequirementWeak(patched, "GLIBCXX_3.4.32");
        int again = ElfSymbolVersions.MarkRequirementWeak(patched, "GLIBCXX_3.4.32");

        Assert.Equal(1, changed);
        Assert.Equal(0, again);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        var flags = ElfSymbolVersions.ReadRequirements(patched).Single(r => r.Version == "GLIBCXX_3.4.32");
        Assert.Equal([flags.FlagsOffset], differing.Select(i => (long)i));
        Assert.True(flags.IsWeak);
        var before = ElfSymbolVersions.ReadRequirements(original).Where(r => r.Version != "GLIBCXX_3.4.32");
        var after = ElfSymbolVersions.ReadRequirements(patched).Where(r => r.Version != "GLIBCXX_3.4.32");
        Assert.Equal(before, after);
    }

    [Fact]
    public void System_libstdcxx_definitions_are_read()
    {
        string libstdcxx = LibStdCxxCompatibility.FindSystemLibStdCxx()!;

        var versions = ElfSymbolVersions.ReadDefinitions(File.ReadAllBytes(libstdcxx));

        Assert.Contains("GLIBCXX_3.4", versions);
        Assert.Contains("CXXABI_1.3", versions);
        Assert.All(versions, v => Assert.Matches(@"^[A-Za-z_.0-9]+$", v));
    }

    [Fact]
    public void Not_an_elf_file_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.ReadRequirements("#!/bin/sh\necho hi\n"u8.ToArray().Concat(new byte[64]).ToArray()));
        Assert.Contains("not an ELF file", error.Message);
    }
}
