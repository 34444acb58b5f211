# Login shells only; Kestra runs `/bin/sh -c` and gets PATH from the image.
export PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
