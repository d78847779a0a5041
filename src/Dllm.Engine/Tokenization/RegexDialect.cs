using System.Text;

namespace Dllm.Tokenization;

/// <summary>
/// Translates the regex dialect of Hugging Face tokenizers (Oniguruma/fancy-regex) into .NET: possessive
/// quantifiers, which .NET lacks, become the equivalent atomic groups (<c>X?+</c> is <c>(?&gt;X?)</c>,
/// <c>X++</c> is <c>(?&gt;X+)</c>, <c>X*+</c> is <c>(?&gt;X*)</c>, <c>X{n,m}+</c> is <c>(?&gt;X{n,m})</c>).
/// Everything else is copied as written.
/// </summary>
internal static class RegexDialect
{
    /// <summary>The .NET form of <paramref name="pattern"/>.</summary>
    /// <exception cref="ArgumentException">The pattern has an unbalanced group or character class.</exception>
    public static string ToDotNet(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 16);
        int i = 0;
        while (i < pattern.Length)
        {
            string atom = ReadAtom(pattern, ref i);
            string quantifier = ReadQuantifier(pattern, ref i);
            if (quantifier.Length > 0 && i < pattern.Length && pattern[i] == '+')
            {
                i++;
                output.Append("(?>").Append(atom).Append(quantifier).Append(')');
            }
            else
            {
                output.Append(atom).Append(quantifier);
            }
        }
        return output.ToString();
    }

    private static string ReadAtom(string p, ref int i)
    {
        int start = i;
        switch (p[i])
        {
            case '(':
                int close = FindGroupEnd(p, i);
                string inner = p.Substring(i + 1, close - i - 1);
                int prefix = GroupPrefixLength(inner);
                i = close + 1;
                return "(" + inner[..prefix] + ToDotNet(inner[prefix..]) + ")";
            case '[':
                i = FindClassEnd(p, i) + 1;
                return p[start..i];
            case '\\':
                i = EscapeEnd(p, i);
                return p[start..i];
            default:
                i++;
                return p[start..i];
        }
    }

    private static string ReadQuantifier(string p, ref int i)
    {
        if (i >= p.Length)
        {
            return "";
        }
        if (p[i] is '?' or '*' or '+')
        {
            return p[i++].ToString();
        }
        if (p[i] == '{')
        {
            int end = p.IndexOf('}', i);
            if (end > i + 1 && IsCountedRepeat(p.AsSpan(i + 1, end - i - 1)))
            {
                string quantifier = p[i..(end + 1)];
                i = end + 1;
                return quantifier;
            }
        }
        return "";
    }

    private static bool IsCountedRepeat(ReadOnlySpan<char> body)
    {
        int comma = body.IndexOf(',');
        ReadOnlySpan<char> min = comma < 0 ? body : body[..comma];
        ReadOnlySpan<char> max = comma < 0 ? [] : body[(comma + 1)..];
        return min.Length > 0 && AllDigits(min) && AllDigits(max);
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Length of a group's leading construct such as <c>?:</c>, <c>?i:</c>, <c>?=</c>, <c>?&lt;!</c>, <c>?&lt;name&gt;</c>.</summary>
    private static int GroupPrefixLength(string inner)
    {
        if (inner.Length < 2 || inner[0] != '?')
        {
            return 0;
        }
        if (inner[1] is ':' or '=' or '!' or '>')
        {
            return 2;
        }
        if (inner[1] == '<' && inner.Length > 2 && inner[2] is '=' or '!')
        {
            return 3;
        }
        if (inner[1] is '<' or '\'')
        {
            int end = inner.IndexOf(inner[1] == '<' ? '>' : '\'', 2);
            return end < 0 ? inner.Length : end + 1;
        }
        int colon = inner.IndexOf(':');
        return colon < 0 ? inner.Length : colon + 1; // inline options: (?i) or (?i:...)
    }

    private static int FindGroupEnd(string p, int open)
    {
        int depth = 0;
        for (int i = open; i < p.Length; i++)
        {
            switch (p[i])
            {
                case '\\':
                    i = EscapeEnd(p, i) - 1;
                    break;
                case '[':
                    i = FindClassEnd(p, i);
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    if (--depth == 0)
                    {
                        return i;
                    }
                    break;
            }
        }
        throw new ArgumentException($"Unbalanced '(' at position {open} in regex: {p}");
    }

    private static int FindClassEnd(string p, int open)
    {
        int i = open + 1;
        if (i < p.Length && p[i] == '^')
        {
            i++;
        }
        if (i < p.Length && p[i] == ']')
        {
            i++; // a ']' first in the class is literal
        }
        for (; i < p.Length; i++)
        {
            if (p[i] == '\\')
            {
                i = EscapeEnd(p, i) - 1;
            }
            else if (p[i] == '[')
            {
                i = FindClassEnd(p, i); // nested class (subtraction / POSIX)
            }
            else if (p[i] == ']')
            {
                return i;
            }
        }
        throw new ArgumentException($"Unbalanced '[' at position {open} in regex: {p}");
    }

    /// <summary>Index just past the escape sequence starting at <paramref name="backslash"/>.</summary>
    private static int EscapeEnd(string p, int backslash)
    {
        int i = backslash + 1;
        if (i >= p.Length)
        {
            throw new ArgumentException($"Dangling '\\' at the end of regex: {p}");
        }
        if (p[i] is 'p' or 'P' or 'x' or 'u' or 'k' && i + 1 < p.Length && p[i + 1] is '{' or '<')
        {
            int end = p.IndexOf(p[i + 1] == '{' ? '}' : '>', i + 1);
            return end < 0 ? p.Length : end + 1;
        }
        if (p[i] == 'x')
        {
            return Math.Min(p.Length, i + 3);
        }
        if (p[i] == 'u')
        {
            return Math.Min(p.Length, i + 5);
        }
        return i + 1;
    }
}
