using System.Text;

namespace Witness.Integrity;

/// <summary>The character and base64 rules shared by C2SP checkpoints and signed notes.</summary>
internal static class NoteEncoding
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Valid UTF-16 (so valid UTF-8 once encoded) without ASCII control characters, except newlines when allowed.</summary>
    public static bool IsValidText(string text, bool allowNewlines)
    {
        foreach (var c in text)
        {
            if (c < 0x20 && !(allowNewlines && c == '\n'))
            {
                return false;
            }
        }

        try
        {
            StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>A C2SP key name: non-empty, no Unicode spaces, no plus sign, no control characters.</summary>
    public static bool IsValidKeyName(string? name) =>
        !string.IsNullOrEmpty(name) && !name.Any(c => char.IsWhiteSpace(c) || c == '+') && IsValidText(name, allowNewlines: false);

    public static byte[] Utf8(string text) => StrictUtf8.GetBytes(text);

    /// <summary>Decodes standard padded base64 (RFC 4648 §4) only in its canonical form: no whitespace, zero padding bits.</summary>
    public static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 != 0 || !text.All(IsBase64Char))
        {
            return false;
        }

        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            return false;
        }

        var decoded = buffer.AsSpan(0, written).ToArray();
        if (Convert.ToBase64String(decoded) != text)
        {
            return false;
        }

        bytes = decoded;
        return true;
    }

    private static bool IsBase64Char(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '+' or '/' or '=';
}
