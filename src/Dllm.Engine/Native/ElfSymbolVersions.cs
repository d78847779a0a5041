using System.Buffers.Binary;
using System.Text;

namespace Dllm.Native;

/// <summary>One version requirement (<c>Vernaux</c>) of an ELF shared library: "this library needs
/// version <see cref="Version"/> of <see cref="File"/>".</summary>
/// <param name="File">The library the version is needed from (e.g. <c>libstdc++.so.6</c>).</param>
/// <param name="Version">The version name (e.g. <c>GLIBCXX_3.4.32</c>).</param>
/// <param name="Flags">The entry's <c>vna_flags</c>.</param>
/// <param name="FlagsOffset">File offset of <c>vna_flags</c>.</param>
internal sealed record ElfVersionRequirement(string File, string Version, ushort Flags, long FlagsOffset)
{
    /// <summary>ELF <c>VER_FLG_WEAK</c>: the dynamic loader only warns when the version is missing.</summary>
    public const ushort WeakFlag = 0x2;

    /// <summary>True when the requirement is marked weak.</summary>
    public bool IsWeak => (Flags & WeakFlag) != 0;
}

/// <summary>Reads the GNU symbol-versioning sections (<c>.gnu.version_d</c>, <c>.gnu.version_r</c>) of a
/// little-endian ELF64 file and marks a version requirement weak. Nothing else in the file is touched.</summary>
internal static class ElfSymbolVersions
{
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgBase = 0x1;

    /// <summary>The version names a library defines (e.g. every <c>GLIBCXX_*</c> of libstdc++), without the base (soname) entry.</summary>
    public static IReadOnlyList<string> ReadDefinitions(ReadOnlySpan<byte> elf)
    {
        var result = new List<string>();
        foreach (var section in Sections(elf))
        {
            if (section.Type != ShtGnuVerdef)
                continue;
            var strtab = SectionAt(elf, section.Link);
            long entry = section.Offset;
            for (uint i = 0; i < section.Info; i++)
            {
                ushort flags = U16(elf, entry + 2);
                ushort count = U16(elf, entry + 6);
                uint aux = U32(elf, entry + 12);
                uint next = U32(elf, entry + 16);
                if (count > 0 && (flags & VerFlgBase) == 0)
                    result.Add(CString(elf, strtab.Offset + U32(elf, entry + aux)));
                if (next == 0)
                    break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>Every version requirement of a library, with the file offset of its flags.</summary>
    public static IReadOnlyList<ElfVersionRequirement> ReadRequirements(ReadOnlySpan<byte> elf)
    {
        var result = new List<ElfVersionRequirement>();
        foreach (var section in Sections(elf))
        {
            if (section.Type != ShtGnuVerneed)
                continue;
            var strtab = SectionAt(elf, section.Link);
            long need = section.Offset;
            for (uint i = 0; i < section.Info; i++)
            {
                ushort count = U16(elf, need + 2);
                string file = CString(elf, strtab.Offset + U32(elf, need + 4));
                long aux = need + U32(elf, need + 8);
                for (int j = 0; j < count; j++)
                {
                    ushort flags = U16(elf, aux + 4);
                    string name = CString(elf, strtab.Offset + U32(elf, aux + 8));
                    result.Add(new ElfVersionRequirement(file, name, flags, aux + 4));
                    uint auxNext = U32(elf, aux + 12);
                    if (auxNext == 0)
                        break;
                    aux += auxNext;
                }
                uint next = U32(elf, need + 12);
                if (next == 0)
                    break;
                need += next;
            }
        }
        return result;
    }

    /// <summary>Sets <c>VER_FLG_WEAK</c> on every requirement named <paramref name="version"/>.</summary>
    /// <returns>How many entries were changed (0 when absent or already weak).</returns>
    public static int MarkRequirementWeak(Span<byte> elf, string version)
    {
        int changed = 0;
        foreach (var requirement in ReadRequirements(elf))
        {
            if (requirement.Version != version || requirement.IsWeak)
                continue;
            BinaryPrimitives.WriteUInt16LittleEndian(
                elf[(int)requirement.FlagsOffset..],
                (ushort)(requirement.Flags | ElfVersionRequirement.WeakFlag));
            changed++;
        }
        return changed;
    }

    private readonly record struct Section(uint Type, long Offset, long Size, uint Link, uint Info);

    private static List<Section> Sections(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only little-endian ELF64 files are supported");
        long shoff = (long)U64(elf, 0x28);
        ushort shentsize = U16(elf, 0x3A);
        ushort shnum = U16(elf, 0x3C);
        if (shoff <= 0 || shentsize < 64 || shoff + (long)shentsize * shnum > elf.Length)
            throw new InvalidDataException("ELF section header table is out of range");
        var sections = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            sections.Add(new Section(U32(elf, h + 4), (long)U64(elf, h + 24), (long)U64(elf, h + 32), U32(elf, h + 40), U32(elf, h + 44)));
        }
        return sections;
    }

    private static Section SectionAt(ReadOnlySpan<byte> elf, uint index)
    {
        var sections = Sections(elf);
        if (index >= sections.Count)
            throw new InvalidDataException($"ELF section index {index} is out of range");
        return sections[(int)index];
    }

    private static ushort U16(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(b, at, 2));
    private static uint U32(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(b, at, 4));
    private static ulong U64(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(b, at, 8));

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> b, long at, int length)
    {
        if (at < 0 || at + length > b.Length)
            throw new InvalidDataException($"ELF offset 0x{at:x} is out of range");
        return b.Slice((int)at, length);
    }

    private static string CString(ReadOnlySpan<byte> b, long at)
    {
        var rest = Slice(b, at, 1).Length == 1 ? b[(int)at..] : default;
        int end = rest.IndexOf((byte)0);
        if (end < 0)
            throw new InvalidDataException($"unterminated ELF string at 0x{at:x}");
        return Encoding.ASCII.GetString(rest[..end]);
    }
}
