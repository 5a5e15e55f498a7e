"""Help pages the app shows in a window of their own (a "How to fix" link opens one).

They are text inside the package, so an installed app has them without a browser or network.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

KEYRING_HELP = """\
# No usable keyring

oncall-desktop keeps the Twilio auth token and the SMTP password **only in the OS keyring**, never in
its database or a config file. When no keyring can be reached, those two secrets cannot be saved or
read: SMS, calls and email cannot be sent, and everything else works as before.

## On a desktop

Unlock your login keyring — it usually unlocks when you log in:

- **GNOME, Cinnamon, MATE, Xfce:** GNOME Keyring (`gnome-keyring`, with *Passwords and Keys* to
  unlock it). Install it with `sudo apt install gnome-keyring` if it is missing, then log out and in.
- **KDE Plasma:** KWallet (System Settings ▸ KDE Wallet: enable it).
- **macOS:** the login Keychain; **Windows:** the Credential Locker. Both work without setup.

Then open Settings again: the line under the form says the secrets are kept in the keyring.

## On a server without a desktop

Run the station inside a D-Bus session with an unlocked gnome-keyring, and set the secrets the same
way:

```
dbus-run-session -- sh -c 'printf %s "$KEYRING_PASSWORD" | \\
    gnome-keyring-daemon --unlock --components=secrets >/dev/null &&
    oncall-desktop secrets set twilio.auth_token < token.txt &&
    oncall-desktop serve'
```

## Another keyring backend

The `keyring` library can use another backend, chosen with `PYTHON_KEYRING_BACKEND`, for example an
encrypted file: `pip install keyrings.alt`, then start oncall-desktop with
`PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring`.
"""


def show_help(parent: QWidget | None, title: str, markdown: str) -> QDialog:
    """Open `markdown` in a help window of its own (not modal)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    browser = QTextBrowser()
    browser.setOpenExternalLinks(True)
    browser.setMarkdown(markdown)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    dialog.resize(640, 560)
    dialog.show()
    return dialog
