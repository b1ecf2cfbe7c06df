"""Every existing person's login address (User.email) becomes their verified primary address.

From now on only verified addresses open an account (login, password reset) and receive
notices (accounts/addresses.py). The address each account has today is the one it was
registered with or the one the person uses: it is recorded as verified, so nobody is locked
out. Other addresses (added, never verified) stay unverified and open nothing.
"""

from django.db import migrations

FORWARD = [
    # An account's primary mark belongs to its login address.
    """
    UPDATE account_emailaddress e SET "primary" = false
    FROM accounts_user u
    WHERE e.user_id = u.id AND e."primary" AND lower(e.email) <> lower(u.email)
    """,
    """
    UPDATE account_emailaddress e SET verified = true, "primary" = true
    FROM accounts_user u
    WHERE e.user_id = u.id AND lower(e.email) = lower(u.email)
    """,
    """
    INSERT INTO account_emailaddress (user_id, email, verified, "primary")
    SELECT u.id, lower(u.email), true, true
    FROM accounts_user u
    WHERE u.email <> '' AND NOT EXISTS (
        SELECT 1 FROM account_emailaddress e
        WHERE e.user_id = u.id AND lower(e.email) = lower(u.email)
    )
    """,
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_employment_id_worker_unique"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunSQL(sql, reverse_sql=migrations.RunSQL.noop) for sql in FORWARD]
