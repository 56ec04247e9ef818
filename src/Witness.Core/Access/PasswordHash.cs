using System.Security.Cryptography;
using System.Text;

namespace Witness.Access;

/// <summary>
/// A password hashed with PBKDF2-HMAC-SHA256 and a random 128-bit salt. The iteration count is stored
/// with the hash, so raising <see cref="DefaultIterations"/> later keeps older hashes verifiable.
/// </summary>
public sealed record PasswordHash(byte[] Salt, byte[] Hash, int Iterations)
{
    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>The shortest password the console accepts.</summary>
    public const int MinimumPasswordLength = 8;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    public static PasswordHash Create(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, DefaultIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new PasswordHash(salt, Derive(password, salt, iterations), iterations);
    }

    /// <summary>True when <paramref name="password"/> is the hashed password; compares in constant time.</summary>
    public bool Matches(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return CryptographicOperations.FixedTimeEquals(Derive(password, Salt, Iterations), Hash);
    }

    /// <summary>
    /// Spends the time of one verification without a stored hash, so that a sign-in with an unknown
    /// email takes as long as one with a wrong password and does not reveal which emails exist.
    /// </summary>
    public static void SpendVerificationTime(string password) =>
        Derive(password ?? "", new byte[SaltBytes], DefaultIterations);

    private static byte[] Derive(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
}
